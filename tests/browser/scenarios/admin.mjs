// A tenant admin sees usage against capacity and creates a user, changes
// a role, disables the user and makes a password reset code.

export default async function (c) {
  const { page } = await c.newPage('ja-JP');
  await c.signIn(page);
  await page.click('.mainnav a[href="/ui/admin"]');
  await page.waitForSelector('.gauge[role="meter"]');
  const now = Number(await page.getAttribute('.gauge[role="meter"]', 'aria-valuenow'));
  c.assert(now >= 0 && now <= 100, 'gauge value');
  await page.fill('#nu-login', 'suzuki');
  await page.fill('#nu-name', '鈴木 花子');
  await page.fill('#nu-email', 'suzuki@example.com');
  await page.selectOption('#nu-role', 'member');
  await page.fill('#nu-password', 'correct-horse-battery-staple-42');
  await Promise.all([page.waitForURL(/done=user_created/), page.click('#new-user-form button[type=submit]')]);
  c.eq((await page.locator('.notice').textContent()).trim(), 'ユーザーを追加しました。', 'created notice');
  const row = page.locator('#users-table tr[data-login="suzuki"]');
  await row.waitFor();
  c.assert((await row.textContent()).includes('鈴木 花子'), 'new user listed');
  await c.shot(page, 'admin');
  // Make a password reset code.
  await Promise.all([page.waitForLoadState('load'), row.locator('button[value="reset"]').click()]);
  c.assert((await page.locator('#reset-token').textContent()).length > 10, 'reset code shown');
  // Role and status.
  await page.locator('#users-table tr[data-login="suzuki"] select').selectOption('guest');
  await Promise.all([page.waitForURL(/done=user_updated/), page.locator('#users-table tr[data-login="suzuki"] form:has(select) button').click()]);
  await Promise.all([page.waitForURL(/done=user_updated/), page.locator('#users-table tr[data-login="suzuki"] button[value="disabled"]').click()]);
  c.assert((await page.locator('#users-table tr[data-login="suzuki"]').textContent()).includes('無効'), 'shown disabled');
}
