// The tenant administrator's security policy page and user actions, one
// phase per run (KURA_PHASE), with the server's side checked between
// phases by tests/api/browser_security.rs:
//   invalid  a bad allowlist line is named, nothing is saved (ja)
//   save     allowlists, two-step verification and password rules (en)
//   lockout  an allowlist without the admin's own address is refused with
//            the reason and a "Save anyway" button (ja)
//   confirm  "Save anyway" (by keyboard) applies it and shuts the admin out (en)
//   member   a member gets 403 on every security screen and form (ja)
//   unlock   unlock a locked user, end their sessions and reset another's
//            two-step verification, each through a dialog (ja, en)
//   operator the operator opens a tenant's policy from the tenants page and
//            requires two-step verification there (en)

const phase = process.env.KURA_PHASE;

/** Waits for the page that a click (a form post, a link) navigates to. */
async function follow(page, action) {
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await action();
  await nav;
}

async function openSecurity(c, page) {
  await follow(page, () => page.click('.mainnav a[href="/ui/admin"]'));
  await follow(page, () => page.click('#nav-security'));
  c.eq(await page.getAttribute('#nav-security', 'aria-current'), 'page', 'sub-navigation marks the page');
}

async function switchTo(page, lang) {
  await follow(page, () => page.click(`.langs a[lang="${lang}"]`));
}

async function storedPolicy(page) {
  return page.evaluate(async () => (await fetch('/api/v1/tenant/policy')).json());
}

async function invalid(c) {
  const { page } = await c.newPage('ja-JP');
  await c.signIn(page);
  await openSecurity(c, page);
  await c.shot(page, 'security-ja');
  // Every input has a label.
  for (const id of ['f-ip_allowlist', 'f-admin_ip_allowlist', 'f-otp_required', 'f-password_min_length', 'f-session_idle_minutes']) {
    c.eq(await page.locator(`label[for="${id}"]`).count(), 1, `label for ${id}`);
  }
  await page.fill('#f-ip_allowlist', '127.0.0.1\n10.0.0.0/33\n');
  await page.check('#f-otp_required');
  await follow(page, () => page.click('#save-policy'));
  const err = (await page.locator('#f-ip_allowlist-error').textContent()).trim();
  c.assert(err.includes('2行目') && err.includes('10.0.0.0/33'), `the bad line is named: ${err}`);
  c.eq(await page.locator('#f-ip_allowlist-error').getAttribute('role'), 'alert', 'error is announced');
  c.eq(await page.getAttribute('#f-ip_allowlist', 'aria-invalid'), 'true', 'field marked invalid');
  c.eq((await page.locator('#page-error').textContent()).trim(), '保存していません。表示された項目を修正して、もう一度保存してください。', 'nothing saved message');
  c.eq((await page.inputValue('#f-ip_allowlist')).trim(), '127.0.0.1\n10.0.0.0/33', 'what was typed is kept');
  c.assert(await page.isChecked('#f-otp_required'), 'the ticked box stays ticked');
  await c.shot(page, 'security-invalid-ja');
  const p = await storedPolicy(page);
  c.eq(JSON.stringify(p.ip_allowlist), '[]', 'not saved');
}

async function save(c) {
  const { page } = await c.newPage('en-US');
  await c.signIn(page);
  await openSecurity(c, page);
  await page.fill('#f-ip_allowlist', '127.0.0.0/8\n\n203.0.113.7/24');
  await page.fill('#f-admin_ip_allowlist', '127.0.0.1');
  await page.check('#f-otp_required');
  await page.fill('#f-password_min_length', '14');
  await page.fill('#f-password_max_age_days', '90');
  await page.fill('#f-lockout_threshold', '5');
  await page.fill('#f-lockout_minutes', '30');
  await follow(page, () => page.click('#save-policy'));
  c.assert(/done=policy_saved/.test(page.url()), `saved: ${page.url()}`);
  c.eq((await page.locator('#notice').textContent()).trim(), 'The security policy was saved.', 'saved notice');
  c.eq(await page.inputValue('#f-ip_allowlist'), '127.0.0.0/8\n203.0.113.0/24', 'stored allowlist shown');
  c.eq(await page.inputValue('#f-admin_ip_allowlist'), '127.0.0.1/32', 'stored admin allowlist shown');
  c.assert(await page.isChecked('#f-otp_required'), 'OTP required shown');
  c.eq(await page.inputValue('#f-password_min_length'), '14', 'min length shown');
  await c.shot(page, 'security-en');
  await page.locator('#sso').scrollIntoViewIfNeeded();
  c.eq(await page.getAttribute('#sso-secret', 'type'), 'password', 'secret is a password field');
  c.eq(await page.inputValue('#sso-secret'), '', 'no secret rendered');
  await c.shot(page, 'security-sso-en');
  // A refused SSO set-up: explained, the typed secret never sent back.
  await page.fill('#sso-issuer', 'http://127.0.0.1:9/plain-http');
  await page.fill('#sso-client-id', 'kura-acme');
  await page.fill('#sso-secret', 'typed-secret-must-not-come-back');
  await follow(page, () => page.click('#save-sso'));
  c.eq((await page.locator('#sso-error').textContent()).trim(), 'Check the values: the issuer must be an https URL, the client ID and secret must not be empty.', 'SSO refusal explained');
  c.eq(await page.inputValue('#sso-issuer'), 'http://127.0.0.1:9/plain-http', 'issuer kept');
  c.eq(await page.inputValue('#sso-secret'), '', 'secret not rendered back');
  c.assert(!(await page.content()).includes('typed-secret-must-not-come-back'), 'secret nowhere in the page');
  await page.locator('#sso').scrollIntoViewIfNeeded();
  await c.shot(page, 'security-sso-error-en');
  await switchTo(page, 'ja');
  c.eq((await page.locator('h1').textContent()).trim(), 'セキュリティポリシー', 'Japanese title');
  await c.shot(page, 'security-saved-ja');
  await page.locator('#sso').scrollIntoViewIfNeeded();
  await c.shot(page, 'security-sso-ja');
}

async function lockout(c) {
  const { page } = await c.newPage('ja-JP');
  await c.signIn(page);
  await openSecurity(c, page);
  await page.fill('#f-ip_allowlist', '203.0.113.0/24');
  await follow(page, () => page.click('#save-policy'));
  const box = page.locator('#lockout');
  c.eq(await box.getAttribute('role'), 'alert', 'the warning is announced');
  const reason = (await page.locator('#lockout-reason').textContent()).trim();
  c.assert(reason.includes('127.0.0.1') && reason.includes('許可アドレス'), `reason in Japanese with the address: ${reason}`);
  c.eq((await page.locator('#save-anyway').textContent()).trim(), 'このまま保存する', 'save anyway button');
  c.eq(await page.inputValue('#f-ip_allowlist'), '203.0.113.0/24', 'the refused list is kept in the form');
  await c.shot(page, 'security-lockout-ja');
  const p = await storedPolicy(page);
  c.eq(JSON.stringify(p.ip_allowlist), '[]', 'not saved before confirming');
}

async function confirm(c) {
  const { page } = await c.newPage('en-US');
  await c.signIn(page);
  await openSecurity(c, page);
  await page.fill('#f-ip_allowlist', '203.0.113.0/24');
  await follow(page, () => page.click('#save-policy'));
  const reason = (await page.locator('#lockout-reason').textContent()).trim();
  c.assert(reason.includes('(127.0.0.1)'), `reason names the address: ${reason}`);
  await c.shot(page, 'security-lockout-en');
  c.eq(JSON.stringify((await storedPolicy(page)).ip_allowlist), '[]', 'not saved before confirming');
  // By keyboard.
  await page.focus('#save-anyway');
  await follow(page, () => page.keyboard.press('Enter'));
  // Saved: this very address is now refused.
  const text = await page.locator('main').textContent();
  c.assert(text.includes('Access from this network is not allowed for your organisation.'), `shut out: ${text}`);
  await c.shot(page, 'security-confirmed-en');
}

async function member(c) {
  const { page } = await c.newPage('ja-JP');
  await c.signIn(page);
  await page.waitForSelector('.mainnav');
  c.eq(await page.locator('.mainnav a[href="/ui/admin"]').count(), 0, 'no administration link for members');
  const csrf = await page.getAttribute('meta[name="csrf-token"]', 'content');
  for (const url of ['/ui/admin/security', '/ui/admin/certificates', '/ui/admin/detections', '/ui/admin']) {
    const r = await page.goto(`${c.base}${url}`);
    c.eq(r.status(), 403, `GET ${url}`);
    c.assert((await page.locator('main').textContent()).includes('この操作を行う権限がありません。'), `403 page of ${url} explains`);
  }
  await c.shot(page, 'security-403-ja');
  const posts = {
    '/ui/admin/security': { ip_allowlist: '203.0.113.0/24', password_min_length: '12', lockout_threshold: '10', lockout_minutes: '15' },
    '/ui/admin/security/sso': { issuer: 'https://id.example.com', client_id: 'x', client_secret: 'y' },
    '/ui/admin/certificates/crl/delete': {},
  };
  for (const [url, fields] of Object.entries(posts)) {
    const status = await page.evaluate(async ({ url, body }) => {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
      return r.status;
    }, { url, body: { csrf, ...fields } });
    c.eq(status, 403, `POST ${url}`);
  }
}

async function unlock(c) {
  const { page } = await c.newPage('ja-JP');
  await c.signIn(page);
  await follow(page, () => page.click('.mainnav a[href="/ui/admin"]'));
  const row = () => page.locator('#users-table tr[data-login="bob"]');
  c.eq(await row().locator('.user-locked').count(), 1, 'bob is shown locked');
  await row().locator('button[value="unlock"]').click();
  const dlg = page.locator('#dlg-confirm');
  await dlg.waitFor({ state: 'visible' });
  c.assert((await page.locator('#dlg-confirm-text').textContent()).includes('bob'), 'the dialog names the user');
  await c.shot(page, 'admin-unlock-dialog-ja');
  await follow(page, () => page.click('#dlg-confirm button[value="ok"]'));
  c.assert(/done=user_done_unlocked/.test(page.url()), `unlocked: ${page.url()}`);
  c.eq((await page.locator('#notice').textContent()).trim(), '「bob」のロックを解除しました。サインインできるようになりました。', 'unlock notice');
  c.eq(await row().locator('.user-locked').count(), 0, 'no longer shown locked');
  c.eq(await row().locator('button[value="unlock"]').count(), 0, 'no unlock button any more');
  // Carol's two-step verification.
  const carol = () => page.locator('#users-table tr[data-login="carol"]');
  c.eq(await carol().locator('.user-otp').count(), 1, 'carol has two-step on');
  await carol().locator('button[value="otp_reset"]').click();
  await dlg.waitFor({ state: 'visible' });
  c.assert((await page.locator('#dlg-confirm-text').textContent()).includes('carol'), 'the dialog names carol');
  await follow(page, () => page.click('#dlg-confirm button[value="ok"]'));
  c.eq((await page.locator('#notice').textContent()).trim(), '「carol」の2段階認証をリセットしました。', 'two-step reset notice');
  c.eq(await carol().locator('.user-otp').count(), 0, 'two-step no longer shown');
  // Escape cancels: nothing happens.
  const before = page.url();
  await row().locator('button[value="end_sessions"]').click();
  await dlg.waitFor({ state: 'visible' });
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'hidden' });
  await page.waitForTimeout(300);
  c.eq(page.url(), before, 'cancelled: no request');
  // OK ends them.
  await row().locator('button[value="end_sessions"]').click();
  await dlg.waitFor({ state: 'visible' });
  await follow(page, () => page.click('#dlg-confirm button[value="ok"]'));
  c.eq((await page.locator('#notice').textContent()).trim(), '「bob」の 1 件のセッションを終了しました。', 'sessions ended notice');
  await c.shot(page, 'admin-users-ja');
  await switchTo(page, 'en');
  c.eq((await row().locator('button[value="end_sessions"]').textContent()).trim(), 'Sign out everywhere', 'English action');
  await c.shot(page, 'admin-users-en');
}

async function operator(c) {
  const { page } = await c.newPage('en-US');
  await c.signIn(page);
  await follow(page, () => page.click('.mainnav a[href="/ui/operator"]'));
  const row = page.locator('#tenants-table tr[data-code="acme"]');
  await follow(page, () => row.locator('a[href="/ui/admin/security?tenant=acme"]').click());
  c.eq((await page.locator('.scope code').textContent()).trim(), 'acme', 'the tenant is named');
  c.eq(await page.inputValue('#policy-form input[name="tenant"]'), 'acme', 'the form keeps the tenant');
  await page.check('#f-otp_required');
  await page.fill('#f-ip_allowlist', '198.51.100.0/24');
  await follow(page, () => page.click('#save-policy'));
  c.assert(/done=policy_saved&tenant=acme/.test(page.url()), `saved for acme: ${page.url()}`);
  c.assert(await page.isChecked('#f-otp_required'), 'acme requires two-step now');
  c.eq(await page.inputValue('#f-ip_allowlist'), '198.51.100.0/24', 'acme allowlist shown');
  c.eq(await page.getAttribute('#nav-detections', 'href'), '/ui/admin/detections?tenant=acme', 'sub-navigation keeps the tenant');
  await c.shot(page, 'security-operator-en');
}

const phases = { invalid, save, lockout, confirm, member, unlock, operator };

export default async function (c) {
  const run = phases[phase];
  if (!run) throw new Error(`unknown KURA_PHASE ${phase}`);
  await run(c);
}
