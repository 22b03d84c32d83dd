// Sign-in security screens, one part per Rust test (KURA_PART):
//  expired  - an expired password is replaced on the sign-in form;
//  enrol    - a tenant that requires OTP makes the user enrol at sign-in
//             (QR code, secret, first code, recovery codes shown once);
//  reset    - a new password with an administrator's one-time token.

import { totp } from '../totp.mjs';

async function submit(page, selector) {
  await Promise.all([page.waitForLoadState('load'), page.click(`${selector} button[type=submit]`)]);
}

async function expired(c) {
  const newPw = c.env('KURA_NEW_PASSWORD');
  for (const locale of ['ja-JP', 'en-US']) {
    const { context, page } = await c.newPage(locale);
    await c.signIn(page);
    c.assert(page.url().endsWith('/ui/signin'), `still on the sign-in page (at ${page.url()})`);
    c.assert(await page.isVisible('#signin-notice[role=status]'), 'a notice says the password expired');
    c.assert(await page.isVisible('#new-password') && await page.isVisible('#new-password2'), 'new-password fields');
    c.eq(await page.inputValue('#login'), c.login, 'the login stays');
    c.eq(await page.inputValue('#password'), '', 'the password is not echoed');
    c.eq(await page.textContent('label[for=new-password]'), locale === 'ja-JP' ? '新しいパスワード' : 'New password', 'label in the language');
    await c.shot(page, `signin-expired-${locale.slice(0, 2)}`);
    if (locale === 'ja-JP') { await context.close(); continue; }

    // Two different new passwords: refused before anything is changed.
    await page.fill('#password', c.password);
    await page.fill('#new-password', newPw);
    await page.fill('#new-password2', `${newPw}!`);
    await submit(page, '#signin-form');
    c.eq(await page.textContent('#signin-error[role=alert]'), 'The two new passwords are not the same.', 'mismatch message');
    c.assert(await page.isVisible('#new-password'), 'the fields stay after a mistake');
    // The tenant's rules: too short, then too common.
    for (const [pw, want] of [['short pw', 'at least 12 characters'], ['password1234', 'commonly used']]) {
      await page.fill('#password', c.password);
      await page.fill('#new-password', pw);
      await page.fill('#new-password2', pw);
      await submit(page, '#signin-form');
      const msg = await page.textContent('#signin-error');
      c.assert(msg.includes(want), `policy message for ${pw}: ${msg}`);
    }
    await c.shot(page, 'signin-expired-refused-en');
    await page.fill('#password', c.password);
    await page.fill('#new-password', newPw);
    await page.fill('#new-password2', newPw);
    await submit(page, '#signin-form');
    c.assert(page.url().includes('/ui/files/'), `signed in with the new password (at ${page.url()})`);
    await context.close();
  }
}

async function enrol(c) {
  const now = Number(c.env('KURA_NOW_S'));
  const { context, page } = await c.newPage('en-US');
  await c.signIn(page);
  c.assert(page.url().includes('/ui/signin/otp'), `sent to set up OTP (at ${page.url()})`);
  c.eq(await page.textContent('h1'), 'Set up two-step verification', 'enrolment heading');
  // The QR code is an image that loaded (a data: URL the CSP allows).
  const qr = await page.$eval('#enrol-qr', (img) => ({ w: img.naturalWidth, src: img.getAttribute('src'), alt: img.alt }));
  c.assert(qr.w > 0 && qr.src.startsWith('data:image/svg+xml;base64,'), `QR image loaded: ${qr.src.slice(0, 40)} ${qr.w}`);
  c.assert(qr.alt.length > 0, 'QR code has a text alternative');
  const secret = await page.getAttribute('#enrol-secret', 'data-secret');
  c.eq((await page.textContent('#enrol-secret')).replace(/\s/g, ''), secret, 'the secret is shown as text');
  await c.shot(page, 'signin-enrol-en');
  // A wrong code: an error, and the same secret again (nothing restarted).
  const right = totp(secret, now);
  await page.fill('#enrol-code', right === '000000' ? '111111' : '000000');
  await submit(page, '#enrol-form');
  c.assert(await page.isVisible('#enrol-error[role=alert]'), 'wrong code refused');
  c.eq(await page.getAttribute('#enrol-secret', 'data-secret'), secret, 'same secret after a wrong code');
  // Still half signed in: the explorer is out of reach.
  await page.goto(`${c.base}/ui/files/`);
  c.assert(page.url().includes('/ui/signin/otp'), `no files before enrolment (at ${page.url()})`);
  c.eq(await page.getAttribute('#enrol-secret', 'data-secret'), secret, 'same secret after a reload');
  await page.fill('#enrol-code', right);
  await submit(page, '#enrol-form');
  const codes = await page.$$eval('#recovery-codes li', (li) => li.map((x) => x.textContent.trim()));
  c.eq(codes.length, 10, 'ten recovery codes');
  c.eq(new Set(codes).size, 10, 'all different');
  await c.shot(page, 'signin-enrol-codes-en');
  for (const code of codes) c.log(`RECOVERY=${code}`);
  await Promise.all([page.waitForLoadState('load'), page.click('#codes-saved')]);
  c.assert(page.url().includes('/ui/files/'), `signed in after enrolment (at ${page.url()})`);
  // Shown once: nowhere else to be seen afterwards.
  await page.goto(`${c.base}/ui/account`);
  const later = await page.content();
  c.assert(!codes.some((code) => later.includes(code)), 'recovery codes not shown again');
  // The account page says OTP is on; the tenant's policy keeps it on.
  c.assert(await page.isVisible('#otp-required-note'), 'the policy is explained');
  await page.fill('#otp-disable-code', codes[1]);
  await submit(page, '#otp-disable-form');
  c.eq(await page.textContent('#account-error[role=alert]'), 'Your organisation requires two-step verification, so it cannot be turned off.', 'disable refused with a clear message');
  c.assert(await page.isVisible('#otp-disable-form'), 'still on');
  await context.close();
}

async function reset(c) {
  const newPw = c.env('KURA_NEW_PASSWORD');
  const { context, page } = await c.newPage('en-US');
  await page.goto(`${c.base}/ui/signin`);
  await Promise.all([page.waitForLoadState('load'), page.click('#reset-link')]);
  c.assert(page.url().endsWith('/ui/reset'), `the sign-in page links to the reset page (at ${page.url()})`);
  await c.shot(page, 'reset-en');
  const attempt = async (token, pw, pw2 = pw) => {
    await page.fill('#reset-token', token);
    await page.fill('#reset-new', pw);
    await page.fill('#reset-new2', pw2);
    await submit(page, '#reset-form');
    return (await page.locator('#reset-error').count()) ? page.textContent('#reset-error') : null;
  };
  // Unknown and expired tokens: one message, nothing to learn from it.
  const unknown = await attempt('kura_reset_not-a-real-token-at-all-000000', newPw);
  const old = await attempt(c.env('KURA_EXPIRED_TOKEN'), newPw);
  c.assert(unknown && unknown.includes('not valid'), `bad token message: ${unknown}`);
  c.eq(old, unknown, 'an expired token gets the same message as an unknown one');
  c.eq(await page.inputValue('#reset-token'), '', 'a bad token is not kept');
  await c.shot(page, 'reset-error-en');
  const good = c.env('KURA_RESET_TOKEN');
  c.eq(await attempt(good, newPw, `${newPw}x`), 'The two new passwords are not the same.', 'mismatch');
  const weak = await attempt(good, 'short');
  c.assert(weak.includes('at least 12 characters'), `policy message: ${weak}`);
  c.eq(await page.inputValue('#reset-token'), good, 'the token stays after a password refusal');
  c.eq(await page.inputValue('#reset-new'), '', 'the password does not');
  c.eq(await attempt(good, newPw), null, 'accepted');
  c.assert(page.url().includes('/ui/signin?done=password_reset'), `back to sign-in (at ${page.url()})`);
  c.eq(await page.textContent('#signin-notice'), 'Your new password is set. Sign in with it.', 'notice');
  await c.signIn(page, { password: newPw });
  c.assert(page.url().includes('/ui/files/'), `signed in with the new password (at ${page.url()})`);
  await context.close();

  // The page in Japanese.
  const ja = await c.newPage('ja-JP');
  await ja.page.goto(`${c.base}/ui/reset`);
  c.eq(await ja.page.textContent('h1'), '新しいパスワードの設定', 'Japanese heading');
  await c.shot(ja.page, 'reset-ja');
  await ja.context.close();
}

export default async function (c) {
  const part = c.env('KURA_PART');
  const parts = { expired, enrol, reset };
  c.assert(parts[part], `unknown part ${part}`);
  await parts[part](c);
}
