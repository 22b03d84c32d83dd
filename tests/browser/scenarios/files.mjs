// Folder and file operations through the toolbar, the dialogs and the
// context menu: new folder, rename, move (folder picker), copy, delete to
// the trash, restore from the trash, the details panel with versions.
// The Rust side made /報告書.txt (two versions) and /資料 beforehand.

export default async function (c) {
  const { page } = await c.newPage('ja-JP');
  await c.signIn(page);
  await c.explorerReady(page);

  // New folder.
  await page.click('.toolbar [data-action="new-folder"]');
  await page.fill('#dlg-name-input', '設計図');
  await page.click('#dlg-name button[value="ok"]');
  await c.row(page, '設計図').waitFor();

  // Rename it (toolbar).
  await c.row(page, '設計図').click();
  await page.click('.toolbar [data-action="rename"]');
  c.eq(await page.inputValue('#dlg-name-input'), '設計図', 'rename starts from the old name');
  await page.fill('#dlg-name-input', '設計図面');
  await page.click('#dlg-name button[value="ok"]');
  await c.row(page, '設計図面').waitFor();
  c.eq(await c.row(page, '設計図').count(), 0, 'old name gone');

  // Move it into 資料 with the folder picker.
  await c.select(page, '設計図面');
  await page.click('.toolbar [data-action="move"]');
  await page.locator('#picker-tree .pick', { hasText: '資料' }).click();
  await c.shot(page, 'explorer-move-picker');
  await page.click('#dlg-picker button[value="ok"]');
  await c.row(page, '設計図面').waitFor({ state: 'detached' });

  // Copy the file into 資料 through the context menu.
  await c.row(page, '報告書.txt').click({ button: 'right' });
  await page.waitForSelector('#ctx:not([hidden])');
  await page.click('#ctx [data-action="copy"]');
  await page.locator('#picker-tree .pick', { hasText: '資料' }).click();
  await page.click('#dlg-picker button[value="ok"]');
  await page.waitForFunction(() => document.getElementById('toast').textContent.includes('コピーしました'));
  await page.waitForLoadState('networkidle');

  // Details panel: two versions; restore the older one.
  await c.select(page, '報告書.txt');
  await page.click('.toolbar [data-action="details"]');
  await page.waitForSelector('#details:not([hidden]) .versions li');
  c.eq(await page.locator('#details .versions li').count(), 2, 'two versions listed');
  c.eq(await page.locator('#details .details-name').textContent(), '報告書.txt', 'details name');
  await c.shot(page, 'explorer-details');
  await page.click('#details [data-action="restore-version"]');
  await page.waitForFunction(() => document.querySelectorAll('#details .versions li').length === 3);
  await page.click('#details [data-action="close-details"]');

  // Inside 資料: the moved folder and the copy.
  await page.goto(`${c.base}/ui/files/${encodeURIComponent('資料')}`);
  await c.explorerReady(page);
  await c.row(page, '設計図面').waitFor();
  await c.row(page, '報告書.txt').waitFor();
  c.eq(await page.locator('.crumbs [aria-current="page"]').textContent(), '資料', 'breadcrumb');

  // Delete the copy (to the trash), then restore it from the trash page.
  await c.row(page, '報告書.txt').click();
  await page.click('.toolbar [data-action="delete"]');
  await page.click('#dlg-confirm button[value="ok"]');
  await c.row(page, '報告書.txt').waitFor({ state: 'detached' });
  await page.click('.mainnav a[href="/ui/trash"]');
  const item = page.locator('#trash-table tr', { hasText: '報告書.txt' });
  await item.waitFor();
  c.eq((await item.locator('.path').textContent()).trim(), '/資料/報告書.txt', 'original location shown');
  await c.shot(page, 'trash');
  await item.locator('[data-trash="restore"]').click();
  // It was the only item: the page reloads to show the empty trash. Wait for
  // that reload, or it races with (and interrupts) the next navigation.
  await page.locator('p.empty').waitFor();
  await page.goto(`${c.base}/ui/files/${encodeURIComponent('資料')}`);
  await c.row(page, '報告書.txt').waitFor();

  // Tree: 資料 can be opened lazily and shows 設計図面.
  await page.goto(`${c.base}/ui/files/`);
  await c.explorerReady(page);
  const branch = page.locator('#tree li[data-path="/資料"]');
  await branch.locator('.twisty').click();
  await branch.locator('li[data-path="/資料/設計図面"]').waitFor();
  // Grid view, then back to the list.
  await page.click('[data-view="grid"]');
  await c.shot(page, 'explorer-grid');
  await page.click('[data-view="list"]');
  await c.shot(page, 'explorer-list');

  // Opening a folder deep down opens the tree down to it and marks it there.
  await page.goto(`${c.base}/ui/files/${encodeURIComponent('資料')}/${encodeURIComponent('設計図面')}`);
  await c.explorerReady(page);
  const current = page.locator('#tree li[data-path="/資料/設計図面"] > .tree-row > .tree-link[aria-current="page"]');
  await current.waitFor();
  c.eq(await page.locator('#tree li[data-path="/資料"] > .tree-row > .twisty').getAttribute('aria-expanded'), 'true', 'the ancestor branch is open');
  c.eq(await page.locator('#tree .tree-link[aria-current="page"]').count(), 1, 'one current folder in the tree');
}
