// A file named like markup is shown as its name and runs nothing: in the
// listing, the tree, the details panel, the rename dialog and the trash.
// Any alert() fails the run (see run.mjs), as does a CSP violation.

export default async function (c) {
  const { page } = await c.newPage('en-US');
  const file = '<img src=x onerror=alert(1)>.png';
  const folder = '"><svg onload=alert(2)>';
  await c.signIn(page);
  await c.explorerReady(page);
  await c.row(page, file).waitFor();
  c.eq(await c.row(page, file).locator('.name').textContent(), file, 'file name shown as text');
  // The only images in the listing are thumbnails, whose URL holds the name percent-encoded.
  c.eq(await page.locator('#rows img:not(.thumb)').count(), 0, 'no <img> made from the name');
  const srcs = await page.locator('#rows img.thumb').evaluateAll((all) => all.map((i) => i.getAttribute('src')));
  c.assert(srcs.every((s) => s.startsWith('/api/v1/thumbnails/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.png?')), `thumbnail URLs ${srcs}`);

  c.eq(await c.row(page, folder).locator('.name').textContent(), folder, 'folder name shown as text');
  c.assert((await page.locator('#tree').textContent()).includes(folder), 'tree shows the folder name as text');
  await c.row(page, file).click();
  await page.click('.toolbar [data-action="details"]');
  await page.waitForSelector('#details:not([hidden]) .details-name');
  c.eq(await page.locator('#details .details-name').textContent(), file, 'details name as text');
  await page.click('.toolbar [data-action="rename"]');
  c.eq(await page.inputValue('#dlg-name-input'), file, 'rename dialog holds the name');
  await page.click('#dlg-name [data-close]');
  await c.shot(page, 'xss-names');
  // Into the folder and back; then the trash.
  await c.row(page, folder).dblclick();
  await page.waitForURL(/%3Csvg/);
  c.eq(await page.locator('.crumbs [aria-current="page"]').textContent(), folder, 'breadcrumb as text');
  await page.goto(`${c.base}/ui/files/`);
  await c.explorerReady(page);
  await c.row(page, file).click();
  await page.keyboard.press('Delete');
  await page.click('#dlg-confirm button[value="ok"]');
  await c.row(page, file).waitFor({ state: 'detached' });
  await page.goto(`${c.base}/ui/trash`);
  c.eq(await page.locator('#trash-table .name').first().textContent(), file, 'trash shows the name as text');
  // Give a late onerror a chance to fire (run.mjs fails on any dialog).
  await page.waitForTimeout(300);
}
