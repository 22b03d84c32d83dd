// Custom search attributes and search, as a tenant admin in Japanese: the
// schema editor (a choice and a date attribute, a refused form, a choice in
// use removed by moving its values), the attribute panel of a file, a bulk
// edit of two files, a search by a Japanese name typed full-width, a facet
// click, a saved search run after a reload; screenshots at 1280 and 1024 px.
// The Rust side made the files under /図面 and /写真 beforehand.

export default async function (c) {
  const { page, context } = await c.newPage('ja-JP');
  await c.signIn(page);

  // --- schema editor -------------------------------------------------------
  await page.click('.mainnav a[href="/ui/admin"]');
  await Promise.all([page.waitForURL(/\/ui\/attributes$/), page.click('#attributes-link')]);
  await page.waitForSelector('#attr-empty:not([hidden])');
  await page.click('#ae-new');
  await page.fill('#ae-key', 'discipline');
  await page.selectOption('#ae-type', 'choice');
  await page.fill('#ae-label-ja', '分野');
  const choices = [['arch', '意匠', 'Architecture'], ['struct', '構造', 'Structure'], ['mep', '設備', 'MEP']];
  for (const [v, ja, en] of choices) {
    await page.click('#ae-add-choice');
    const li = page.locator('#ae-choices li').last();
    await li.locator('.c-value').fill(v);
    await li.locator('.c-ja').fill(ja);
    await li.locator('.c-en').fill(en);
  }
  // The English label is missing: the form says so next to that field.
  await page.click('#ae-save');
  await page.waitForSelector('#ae-label-en-err:not([hidden])');
  c.eq((await page.textContent('#ae-label-en-err')).trim(), '表示名を入力してください（200文字まで）。', 'label error next to the field');
  await page.fill('#ae-label-en', 'Discipline');
  await page.click('#ae-save');
  await page.waitForSelector('#attr-table tr[data-key="discipline"]');
  c.assert(await page.isHidden('#attr-editor'), 'editor closes after saving');

  await page.click('#ae-new');
  await page.fill('#ae-key', 'issued');
  await page.selectOption('#ae-type', 'date');
  await page.fill('#ae-label-ja', '発行日');
  await page.fill('#ae-label-en', 'Issued on');
  c.assert(await page.isHidden('#ae-choices-box'), 'no choices for a date');
  await page.click('#ae-save');
  await page.waitForSelector('#attr-table tr[data-key="issued"]');
  const typeCell = await page.locator('#attr-table tr[data-key="issued"] td').nth(3).textContent();
  c.eq(typeCell, '日付', 'type shown in Japanese');
  await c.shot(page, 'attributes-schema');

  // --- attribute panel of one file -----------------------------------------
  await page.goto(`${c.base}/ui/files/${encodeURIComponent('図面')}`);
  await c.explorerReady(page);
  await c.row(page, '平面図-A棟.dwg').click();
  await page.click('.toolbar [data-action="details"]');
  await page.waitForSelector('#attr-panel [data-attr="edit"]:not([hidden])');
  c.assert(await page.isVisible('#attr-panel .attr-none'), 'no values yet');
  await page.click('#attr-panel [data-attr="edit"]');
  await page.selectOption('#af-discipline', 'struct');
  await page.fill('#af-issued', '2026-11-01');
  await page.click('#attr-panel .attr-form button[type="submit"]');
  await page.waitForSelector('#attr-panel .attr-values dd');
  const dds = await page.locator('#attr-panel .attr-values dd').allTextContents();
  c.eq(JSON.stringify(dds), JSON.stringify(['構造', '2026/11/01']), 'values shown in Japanese');
  await c.shot(page, 'explorer-attributes');

  // --- bulk edit of two files --------------------------------------------------
  await page.click('#details [data-action="close-details"]');
  await c.row(page, '立面図-B棟.pdf').click();
  await c.row(page, '断面図.pdf').click({ modifiers: ['Control'] });
  await page.click('.toolbar [data-action="edit-attributes"]');
  await page.waitForSelector('#dlg-attrs[open] #bulk-discipline');
  c.eq((await page.textContent('#dlg-attrs-count')).trim(), '選択中の 2 件', 'count in the dialog');
  // Nothing ticked: the dialog says so and stays open.
  await page.click('#dlg-attrs button[value="ok"]');
  await page.waitForSelector('#dlg-attrs-error:not([hidden])');
  await page.selectOption('#bulk-discipline', 'arch');
  c.assert(await page.isChecked('#bulk-apply-discipline'), 'choosing a value ticks the attribute');
  await c.shot(page, 'explorer-bulk-edit');
  await page.click('#dlg-attrs button[value="ok"]');
  await page.waitForFunction(() => document.getElementById('toast').textContent.includes('2 件に属性を設定しました'));
  c.assert(!(await page.locator('#dlg-attrs').evaluate((d) => d.open)), 'dialog closed');

  // --- search: a Japanese name typed full-width from the header ---------------
  await page.fill('#hdr-q', 'Ａ棟');
  await Promise.all([page.waitForURL(/\/ui\/search/), page.press('#hdr-q', 'Enter')]);
  await page.waitForSelector('#search-page[data-ready]');
  let names = await page.locator('#s-results tbody .r-name').allTextContents();
  c.eq(JSON.stringify(names), JSON.stringify(['平面図-A棟.dwg']), 'full-width Ａ finds the half-width A');
  c.eq(await page.inputValue('#s-name'), 'Ａ棟', 'the name is kept in the form');
  c.assert(await page.isChecked('#s-scope-folder'), 'searched in the folder the user was in');

  // Everything, then a facet click.
  await page.click('#s-clear');
  await page.waitForFunction(() => document.getElementById('s-total').textContent === '5 件');
  const facet = (value) => page.locator('#s-facets button.facet[data-key="discipline"][data-value="' + value + '"]');
  c.eq((await facet('arch').locator('.count').textContent()), '2', 'facet count of 意匠');
  c.eq((await facet('struct').locator('.count').textContent()), '1', 'facet count of 構造');
  await facet('arch').click();
  await page.waitForFunction(() => document.getElementById('s-total').textContent === '2 件');
  names = await page.locator('#s-results tbody .r-name').allTextContents();
  c.eq(JSON.stringify(names), JSON.stringify(['断面図.pdf', '立面図-B棟.pdf']), 'facet filter results');
  c.eq(await facet('arch').getAttribute('aria-pressed'), 'true', 'facet shown as active');
  c.assert(await page.isChecked('#f-discipline-0'), 'the form follows the facet');
  await c.shot(page, 'search-facet');

  // --- saved search ---------------------------------------------------------------
  await page.fill('#save-name', '意匠の図面');
  await page.check('#save-shared');
  await page.click('#save-form button[type="submit"]');
  await page.locator('#saved-list li', { hasText: '意匠の図面' }).waitFor();
  // A reload keeps the search (it is in the URL).
  await page.reload();
  await page.waitForSelector('#search-page[data-ready]');
  c.eq(await page.textContent('#s-total'), '2 件', 'search kept over a reload');
  // A fresh search page, then the saved search from the list.
  await page.goto(`${c.base}/ui/search`);
  await page.waitForSelector('#search-page[data-ready]');
  c.eq(await page.textContent('#s-total'), '5 件', 'fresh page searches everything');
  const saved = page.locator('#saved-list li', { hasText: '意匠の図面' });
  await saved.waitFor();
  c.assert((await saved.textContent()).includes('共有'), 'shared badge');
  await saved.locator('button[data-op="run"]').click();
  await page.waitForFunction(() => document.getElementById('s-total').textContent === '2 件');
  await c.shot(page, 'search-saved');
  // Switching to English keeps the search (and back to Japanese).
  await Promise.all([page.waitForURL(/\/ui\/search\?q=/), page.click('.langs a[hreflang="en"]')]);
  await page.waitForSelector('#search-page[data-ready]');
  c.eq(await page.textContent('#s-total'), '2 files', 'search kept over a language switch');
  await Promise.all([page.waitForURL(/\/ui\/search\?q=/), page.click('.langs a[hreflang="ja"]')]);
  await page.waitForSelector('#search-page[data-ready]');
  await page.setViewportSize({ width: 1024, height: 768 });
  await c.shot(page, 'search-1024');
  await page.setViewportSize({ width: 1280, height: 800 });

  // --- a choice in use cannot just be removed -----------------------------------
  await page.goto(`${c.base}/ui/attributes`);
  await page.waitForSelector('#attr-table tr[data-key="discipline"]');
  await page.click('#attr-table tr[data-key="discipline"] button[data-op="edit"]');
  await page.locator('#ae-choices li').filter({ has: page.locator('.c-value[value="struct"]') }).locator('button[data-op="remove"]').click();
  await page.fill('#ae-label-en', 'Discipline (field)');
  await page.click('#ae-save');
  await page.waitForSelector('#ae-rename:not([hidden])');
  c.assert((await page.textContent('#ae-choices-err')).includes('ファイルに設定済みの値が失われます'), 'attribute_in_use translated');
  await page.selectOption('#ae-rename-0', 'mep');
  await c.shot(page, 'attributes-choice-in-use');
  await page.setViewportSize({ width: 1024, height: 768 });
  await c.shot(page, 'attributes-1024');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click('#ae-save');
  await page.waitForSelector('#attr-editor', { state: 'hidden' });
  // The editor closes before the list is loaded again: wait for the new label.
  await page.waitForFunction(() => document.querySelector('#attr-table tr[data-key="discipline"]')?.textContent.includes('Discipline (field)'), null, { timeout: 10000 })
    .catch(() => {});
  const row = await page.locator('#attr-table tr[data-key="discipline"]').textContent();
  c.assert(!row.includes('構造') && row.includes('設備'), `choices after the move: ${row}`);

  // The explorer at 1024 px with the panel open.
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.goto(`${c.base}/ui/files/${encodeURIComponent('図面')}`);
  await c.explorerReady(page);
  await c.row(page, '平面図-A棟.dwg').click();
  await page.click('.toolbar [data-action="details"]');
  await page.waitForSelector('#attr-panel .attr-values dd');
  c.eq((await page.locator('#attr-panel .attr-values dd').first().textContent()), '設備', 'moved value shown');
  await c.shot(page, 'explorer-attributes-1024');
  await page.click('#details [data-action="close-details"]');
  await page.setViewportSize({ width: 1280, height: 800 });

  // --- refusals name the attribute (and the item) ---------------------------------
  await page.goto(`${c.base}/ui/attributes`);
  await page.click('#attr-table tr[data-key="issued"] button[data-op="edit"]');
  await page.check('#ae-required');
  await page.click('#ae-save');
  await page.waitForSelector('#attr-editor', { state: 'hidden' });
  await page.goto(`${c.base}/ui/files/${encodeURIComponent('図面')}`);
  await c.explorerReady(page);
  // Bulk: the two files have no issue date, so nothing is changed.
  await c.row(page, '立面図-B棟.pdf').click();
  await c.row(page, '断面図.pdf').click({ modifiers: ['Control'] });
  await page.click('.toolbar [data-action="edit-attributes"]');
  await page.waitForSelector('#dlg-attrs[open] #bulk-discipline');
  await page.selectOption('#bulk-discipline', 'mep');
  await page.click('#dlg-attrs button[value="ok"]');
  await page.waitForSelector('#dlg-attrs-error:not([hidden])');
  const bulkErr = await page.textContent('#dlg-attrs-error');
  c.assert(bulkErr.includes('「発行日」は必須です。') && bulkErr.includes('/図面/') && bulkErr.includes('何も変更していません'), `bulk refusal: ${bulkErr}`);
  await c.shot(page, 'explorer-bulk-refused');
  await page.click('#dlg-attrs button[value="cancel"]');
  // The panel: the error is under the date field; with a date it saves.
  await c.row(page, '断面図.pdf').click();
  await page.click('.toolbar [data-action="details"]');
  await page.waitForSelector('#attr-panel [data-attr="edit"]:not([hidden])');
  await page.click('#attr-panel [data-attr="edit"]');
  await page.selectOption('#af-discipline', 'mep');
  await page.click('#attr-panel .attr-form button[type="submit"]');
  await page.waitForSelector('#af-issued-err:not([hidden])');
  c.eq((await page.textContent('#af-issued-err')).trim(), '「発行日」は必須です。', 'error under the field');
  c.eq(await page.getAttribute('#af-issued', 'aria-invalid'), 'true', 'field marked invalid');
  await c.shot(page, 'explorer-attributes-refused');
  await page.fill('#af-issued', '2026-12-24');
  await page.click('#attr-panel .attr-form button[type="submit"]');
  await page.waitForSelector('#attr-panel .attr-form', { state: 'hidden' });
  const shown = await page.locator('#attr-panel .attr-values dd').allTextContents();
  c.eq(JSON.stringify(shown), JSON.stringify(['設備', '2026/12/24']), 'saved after the fix');
  await context.close();

  // English: labels and values in English.
  const en = await c.newPage('en-US');
  await c.signIn(en.page);
  await en.page.goto(`${c.base}/ui/search`);
  await en.page.waitForSelector('#search-page[data-ready]');
  c.eq(await en.page.textContent('#s-total'), '5 files', 'English total');
  const chip = await en.page.locator('#s-results tr[data-path="/図面/平面図-A棟.dwg"] .chips').textContent();
  c.assert(chip.includes('MEP') && chip.includes('Nov 01, 2026'), `English chips: ${chip}`);
  await c.shot(en.page, 'search-en');
}
