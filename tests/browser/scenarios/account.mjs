// The account page (/ui/account), reached from the user name in the header:
// profile in both languages; another session ended; a personal access token
// created (shown once, copied, works), then revoked (gets 401); two-step
// verification turned on (QR code, first code, recovery codes once), new
// recovery codes, turned off with a recovery code; and the password changed
// (a wrong current one and mismatched new ones refused first).

import { totp } from '../totp.mjs';

async function submit(page, selector) {
  await Promise.all([page.waitForLoadState('load'), page.click(`${selector} button[type=submit]`)]);
}

/** A screenshot of the whole page (it scrolls inside <main>, so a tall
 *  window rather than Playwright's fullPage). */
async function tall(c, page, name) {
  await page.setViewportSize({ width: 1280, height: 1700 });
  await c.shot(page, name);
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** GET /api/v1/me with a bearer token: the status. */
async function meWith(c, token) {
  const r = await fetch(`${c.base}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
  return r.status;
}

export default async function (c) {
  const now = Number(c.env('KURA_NOW_S'));
  const newPw = c.env('KURA_NEW_PASSWORD');

  // Japanese first: the page and its labels.
  {
    const { context, page } = await c.newPage('ja-JP');
    await c.signIn(page);
    await Promise.all([page.waitForLoadState('load'), page.click('#account-link')]);
    c.assert(page.url().endsWith('/ui/account'), `the header links to the account page (at ${page.url()})`);
    c.eq(await page.textContent('h1'), 'アカウント', 'Japanese heading');
    c.eq(await page.getAttribute('#account-link', 'aria-current'), 'page', 'header link is current');
    await c.shot(page, 'account-ja');
    await tall(c, page, 'account-full-ja');
    // Signed out, so the English part below sees two sessions only.
    await Promise.all([page.waitForURL(/\/ui\/signin/), page.click('#signout')]);
    await context.close();
  }

  const { context, page } = await c.newPage('en-US');
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: c.base });
  await c.signIn(page);
  await page.goto(`${c.base}/ui/account`);
  c.eq(await page.textContent('h1'), 'My account', 'English heading');
  const profile = await page.textContent('#profile');
  c.assert(profile.includes(c.login) && profile.includes(c.tenant) && profile.includes('Member'), `profile: ${profile}`);

  // Sessions: this one (marked, no end button) and the laptop's.
  const rows = page.locator('#sessions-table tbody tr');
  c.eq(await rows.count(), 2, 'two sessions');
  const current = page.locator('#sessions-table tr[data-current]');
  c.eq(await current.count(), 1, 'one current session');
  c.assert((await current.textContent()).includes('This session'), 'current session marked');
  c.eq(await current.locator('button').count(), 0, 'the current session cannot be ended here');
  const other = page.locator('#sessions-table tbody tr:not([data-current])');
  c.assert((await other.textContent()).includes('Firefox · Windows'), `device named: ${await other.textContent()}`);
  await c.shot(page, 'account-en');
  await Promise.all([page.waitForLoadState('load'), other.locator('button').click()]);
  c.eq(await page.textContent('#account-notice[role=status]'), 'The session has ended.', 'session ended notice');
  c.eq(await rows.count(), 1, 'one session left');

  // A token: shown once with a copy button; it works until revoked. (The
  // test's own API token is listed already.)
  const tokenRows = page.locator('#tokens-table tbody tr');
  const before = await tokenRows.count();
  await page.fill('#token-name', 'backup <script>');
  await submit(page, '#token-form');
  const token = (await page.textContent('#new-token')).trim();
  c.assert(token.length > 20, `token shown: ${token}`);
  c.log(`TOKEN=${token}`);
  const mine = tokenRows.filter({ hasText: 'backup <script>' });
  c.eq(await mine.count(), 1, 'the new token is listed, its name as text');
  c.eq(await tokenRows.count(), before + 1, 'one more token');
  await page.click('#new-token-copy');
  c.eq(await page.evaluate(() => navigator.clipboard.readText()), token, 'copied to the clipboard');
  await c.shot(page, 'account-token-en');
  await tall(c, page, 'account-full-en');
  c.eq(await meWith(c, token), 200, 'the token works');
  await page.goto(`${c.base}/ui/account`);
  c.assert(!(await page.content()).includes(token), 'the token is not shown again');
  await Promise.all([page.waitForLoadState('load'), mine.locator('button').click()]);
  c.eq(await page.textContent('#account-notice'), 'The token is revoked; it no longer works.', 'revoked notice');
  c.eq(await mine.count(), 0, 'the revoked token is no longer listed');
  c.eq(await tokenRows.count(), before, 'the others stay');
  c.eq(await meWith(c, token), 401, 'the revoked token is refused');

  // Two-step verification on: QR code, secret, first code, codes once.
  await submit(page, '#otp-enable-form');
  c.assert(page.url().endsWith('/ui/account/otp'), `enrolment page (at ${page.url()})`);
  const w = await page.$eval('#enrol-qr', (img) => img.naturalWidth);
  c.assert(w > 0, 'QR code shown');
  const secret = await page.getAttribute('#enrol-secret', 'data-secret');
  await c.shot(page, 'account-otp-setup-en');
  await page.fill('#enrol-code', totp(secret, now));
  await submit(page, '#enrol-form');
  const codes = await page.$$eval('#recovery-codes li', (li) => li.map((x) => x.textContent.trim()));
  c.eq(codes.length, 10, 'ten recovery codes');
  await page.click('#codes-copy');
  c.eq(await page.evaluate(() => navigator.clipboard.readText()), codes.join('\n'), 'codes copied');
  await Promise.all([page.waitForLoadState('load'), page.click('#codes-saved')]);
  c.eq(await page.textContent('#account-notice'), 'Two-step verification is on.', 'on');
  c.assert((await page.textContent('#otp-state')).includes('Recovery codes left: 10'), 'ten codes left');
  // New codes replace the old ones.
  await submit(page, '#otp-codes-form');
  const fresh = await page.$$eval('#recovery-codes li', (li) => li.map((x) => x.textContent.trim()));
  c.eq(fresh.length, 10, 'ten new codes');
  c.assert(!fresh.some((x) => codes.includes(x)), 'all new');
  await c.shot(page, 'account-new-codes-en');
  await Promise.all([page.waitForLoadState('load'), page.click('#codes-saved')]);
  // Off: an old code is refused, a new one works.
  await page.fill('#otp-disable-code', codes[0]);
  await submit(page, '#otp-disable-form');
  c.assert(await page.isVisible('#account-error[role=alert]'), 'an old recovery code is refused');
  await page.fill('#otp-disable-code', fresh[0]);
  await submit(page, '#otp-disable-form');
  c.eq(await page.textContent('#account-notice'), 'Two-step verification is off.', 'off');
  c.assert(await page.isVisible('#otp-enable-form'), 'can be turned on again');

  // The password: wrong current one, mismatch, then a good change.
  const change = async (current, pw, pw2 = pw) => {
    await page.fill('#pw-current', current);
    await page.fill('#pw-new', pw);
    await page.fill('#pw-new2', pw2);
    await submit(page, '#password-form');
  };
  await change('not my password', newPw);
  c.eq(await page.textContent('#password-error[role=alert]'), 'The current password is not correct.', 'wrong current');
  await change(c.password, newPw, `${newPw}?`);
  c.eq(await page.textContent('#password-error'), 'The two new passwords are not the same.', 'mismatch');
  await change(c.password, 'short');
  c.assert((await page.textContent('#password-error')).includes('at least 12 characters'), 'too short');
  await c.shot(page, 'account-password-error-en');
  await change(c.password, newPw);
  c.eq(await page.textContent('#account-notice'), 'Your password is changed. Your other sessions have ended.', 'changed');
  // This session stays.
  await page.goto(`${c.base}/ui/files/`);
  c.assert(page.url().includes('/ui/files/'), 'still signed in');
  await context.close();
}
