// Multi-select ZIP download: in the folder 案件, a file, a second file
// (Ctrl-click) and a folder (Ctrl-click) are downloaded together with the
// toolbar's Download button. The browser saves the archive to KURA_ZIP_OUT;
// the Rust side opens it and checks every entry's name, kind and bytes.

export default async function (c) {
  const { page } = await c.newPage('ja-JP');
  await c.signIn(page);
  await page.goto(`${c.base}/ui/files/${encodeURIComponent('案件')}`);
  await c.explorerReady(page);

  await c.row(page, '図面A.pdf').click();
  await c.row(page, '現場 写真.jpg').click({ modifiers: ['Control'] });
  await c.row(page, '設計').click({ modifiers: ['Control'] });
  c.eq(await page.locator('#rows > .row[aria-selected="true"]').count(), 3, 'three rows selected');
  // The toolbar's Download is offered for a multiple selection once the
  // server said it makes ZIPs.
  const button = page.locator('.toolbar [data-action="download"]');
  await page.waitForFunction(() => {
    const b = document.querySelector('.toolbar [data-action="download"]');
    return b && !b.disabled && !b.hidden;
  });
  await c.shot(page, 'zip-selection');

  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const name = download.suggestedFilename();
  c.eq(name, '案件.zip', 'the archive is named after the folder');
  const failure = await download.failure();
  c.eq(failure, null, 'the download completed');
  await download.saveAs(c.env('KURA_ZIP_OUT'));
  console.log(`ZIP_NAME=${name}`);

  // A single file is downloaded as itself, not zipped.
  await c.row(page, 'メモ.txt').click();
  const [single] = await Promise.all([page.waitForEvent('download'), button.click()]);
  c.eq(single.suggestedFilename(), 'メモ.txt', 'a single file downloads under its own name');
}
