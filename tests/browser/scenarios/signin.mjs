// Sign-in and sign-out in Japanese and English; a wrong password, an
// unknown login and an unknown tenant all get the same generic message.

export default async function (c) {
  for (const [locale, want] of [
    ['ja-JP', { title: 'サインイン', wrong: 'テナントコード、ログインID、またはパスワードが正しくありません。', out: 'サインアウトしました。', nav: 'ファイル' }],
    ['en-US', { title: 'Sign in', wrong: 'The tenant code, login ID or password is not correct.', out: 'You have signed out.', nav: 'Files' }],
  ]) {
    const { context, page } = await c.newPage(locale);
    // "/" goes to the sign-in page in the browser's language.
    await page.goto(`${c.base}/`);
    c.assert(page.url().endsWith('/ui/signin'), `/ leads to the sign-in page (at ${page.url()})`);
    c.eq(await page.locator('h1').textContent(), want.title, 'sign-in heading');
    c.eq(await page.getAttribute('html', 'lang'), locale.slice(0, 2), 'lang attribute');
    await c.shot(page, `signin-${locale.slice(0, 2)}`);

    const messages = [];
    for (const creds of [
      { password: 'not-the-password' },
      { login: 'nobody-here' },
      { tenant: 'no-such-tenant' },
    ]) {
      await c.signIn(page, creds);
      c.assert(page.url().includes('/ui/signin'), 'still on the sign-in page');
      messages.push(await page.locator('#signin-error').textContent());
    }
    c.eq(messages[0], want.wrong, 'wrong password message');
    c.assert(messages.every((m) => m === messages[0]), `the same message for every wrong credential: ${messages}`);
    // The tenant and login typed stay; the password does not.
    c.eq(await page.inputValue('#password'), '', 'password not echoed');
    if (locale === 'ja-JP') await c.shot(page, 'signin-error-ja');

    await c.signIn(page);
    c.assert(page.url().includes('/ui/files/'), `signed in lands in the explorer (at ${page.url()})`);
    c.eq(await page.locator('.mainnav a[aria-current="page"]').textContent(), want.nav, 'navigation in the language');
    // Cookies: HttpOnly session, so scripts cannot read it.
    c.assert(!(await page.evaluate(() => document.cookie)).includes('kura_session'), 'session cookie is HttpOnly');
    await page.click('#signout');
    await page.waitForURL(/\/ui\/signin/);
    c.eq((await page.locator('.notice').textContent()).trim(), want.out, 'signed-out notice');
    // Signed out for real: the explorer sends us back to sign in.
    await page.goto(`${c.base}/ui/files/`);
    c.assert(page.url().includes('/ui/signin'), 'explorer needs a session after sign-out');
    await context.close();
  }

  // The language switch overrides the browser's language and is remembered.
  const { context, page } = await c.newPage('ja-JP');
  await page.goto(`${c.base}/ui/signin`);
  await page.click('.langs a[lang="en"]');
  c.eq(await page.locator('h1').textContent(), 'Sign in', 'switched to English');
  await page.goto(`${c.base}/ui/signin`);
  c.eq(await page.locator('h1').textContent(), 'Sign in', 'English remembered');
  await c.signIn(page);
  await page.click('.langs a[lang="ja"]');
  c.assert(page.url().includes('/ui/files/'), 'language switch comes back to the page');
  c.eq(await page.locator('#signout').textContent(), 'サインアウト', 'switched to Japanese while signed in');
  // Headers of a UI page: the CSP forbids inline script and framing.
  const res = await page.goto(`${c.base}/ui/files/`);
  const csp = res.headers()['content-security-policy'] || '';
  c.assert(csp.includes("script-src 'self'") && csp.includes("frame-ancestors 'none'") && !csp.includes('unsafe-inline'), `CSP: ${csp}`);
  await context.close();
}
