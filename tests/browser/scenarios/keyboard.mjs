// Keyboard only, from the sign-in form on: Tab into the listing, arrows,
// Enter to open a folder, Backspace to go up, F2 to rename, Delete to the
// trash, Ctrl+A; the focused row has a visible outline.
// The Rust side made /alpha (with alpha/inner.txt), /beta and /gamma.txt.

export default async function (c) {
  const { page } = await c.newPage('en-US');
  await page.goto(`${c.base}/ui/signin`);
  await page.focus('#tenant');
  await page.keyboard.type(c.tenant);
  await page.keyboard.press('Tab');
  await page.keyboard.type(c.login);
  await page.keyboard.press('Tab');
  await page.keyboard.type(c.password);
  await Promise.all([page.waitForURL(/\/ui\/files\//), page.keyboard.press('Enter')]);
  await c.explorerReady(page);

  // Tab until the listing has focus.
  let tabs = 0;
  for (; tabs < 40; tabs += 1) {
    await page.keyboard.press('Tab');
    const inList = await page.evaluate(() => !!document.activeElement?.closest('#list'));
    if (inList) break;
  }
  c.assert(tabs < 40, 'the listing is reachable with Tab');
  const focused = () => page.evaluate(() => document.activeElement?.dataset?.name ?? null);
  const selected = () => page.evaluate(() => Array.from(document.querySelectorAll('#rows .row[aria-selected="true"]')).map((r) => r.dataset.name));
  c.eq(await focused(), 'alpha', 'first row focused');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  c.assert(outline !== 'none', `focused row has a visible outline (${outline})`);
  await page.keyboard.press('ArrowDown');
  c.eq(await focused(), 'beta', 'ArrowDown moves');
  c.eq(JSON.stringify(await selected()), '["beta"]', 'and selects');
  await page.keyboard.press('Shift+ArrowDown');
  c.eq(JSON.stringify(await selected()), '["beta","gamma.txt"]', 'Shift+ArrowDown extends');
  await page.keyboard.press('Control+a');
  c.eq((await selected()).length, 3, 'Ctrl+A selects all');
  await c.shot(page, 'keyboard-selection');
  await page.keyboard.press('Home');
  c.eq(await focused(), 'alpha', 'Home');

  // Enter opens the folder; Backspace comes back.
  await Promise.all([page.waitForURL(/\/ui\/files\/alpha$/), page.keyboard.press('Enter')]);
  await c.explorerReady(page);
  await page.focus('#list');
  c.eq(await focused(), 'inner.txt', 'inside alpha');
  await Promise.all([page.waitForURL(/\/ui\/files\/$/), page.keyboard.press('Backspace')]);
  await c.explorerReady(page);
  await page.focus('#list');

  // F2 renames beta.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('F2');
  await page.waitForSelector('#dlg-name[open]');
  await page.keyboard.press('Control+a');
  await page.keyboard.type('ベータ');
  await page.keyboard.press('Enter');
  await c.row(page, 'ベータ').waitFor();
  c.eq(await focused(), 'ベータ', 'focus stays on the renamed row');

  // Delete moves gamma.txt to the trash (confirmed with Enter).
  await page.keyboard.press('End');
  c.eq(await focused(), 'gamma.txt', 'End');
  await page.keyboard.press('Delete');
  await page.waitForSelector('#dlg-confirm[open]');
  await page.keyboard.press('Enter');
  await c.row(page, 'gamma.txt').waitFor({ state: 'detached' });

  // Shift+F10 opens the context menu; Escape closes it.
  await page.focus('#list');
  await page.keyboard.press('Shift+F10');
  await page.waitForSelector('#ctx:not([hidden])');
  c.assert(await page.evaluate(() => !!document.activeElement?.closest('#ctx')), 'menu has focus');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#ctx[hidden]', { state: 'attached' });
}
