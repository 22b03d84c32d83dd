// The virus detections page lists the EICAR upload the Rust side made
// (a Japanese path), in Japanese and in English.

async function follow(page, action) {
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await action();
  await nav;
}

export default async function (c) {
  const path = c.env('KURA_DETECTED_PATH');
  const { page } = await c.newPage('ja-JP');
  await c.signIn(page);
  await follow(page, () => page.click('.mainnav a[href="/ui/admin"]'));
  await follow(page, () => page.click('#nav-detections'));
  const rows = page.locator('#detections-table tbody tr');
  c.eq(await rows.count(), 1, 'one detection');
  const cells = rows.first().locator('td');
  c.eq((await cells.nth(1).textContent()).trim(), path, 'the path, as text');
  c.eq((await cells.nth(2).textContent()).trim(), 'Kura.Test.EICAR.UNOFFICIAL', 'the signature');
  c.assert((await cells.nth(3).textContent()).includes('(admin)'), 'who uploaded');
  c.eq((await cells.nth(4).textContent()).trim(), 'アップロード時に拒否（保存なし）', 'what happened');
  c.eq((await cells.nth(5).textContent()).trim(), '127.0.0.1', 'from where');
  c.assert(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}$/.test((await cells.nth(0).textContent()).trim()), 'a Japanese date');
  await c.shot(page, 'detections-ja');
  await follow(page, () => page.click('.langs a[lang="en"]'));
  c.eq((await rows.first().locator('td').nth(4).textContent()).trim(), 'Refused at upload (not stored)', 'English outcome');
  c.assert(/^[A-Z][a-z]{2} \d{2}, \d{4}/.test((await rows.first().locator('td').first().textContent()).trim()), 'an English date');
  await c.shot(page, 'detections-en');
}
