// Runs one browser scenario against a running Kura: `node run.mjs <name>`.
// Started by the Rust tests in tests/api/browser.rs, which start the server,
// make the tenant and users, pass them in KURA_* variables and check the
// server's side afterwards. Drives Debian's Chromium (/usr/bin/chromium);
// Playwright never downloads a browser here.
//
// Fails (exit 1) on an assertion, on any uncaught page error, on any
// Content-Security-Policy violation and on any alert/confirm dialog.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const env = (k, d) => process.env[k] ?? d;
const shots = env('KURA_SHOTS', path.join(here, 'screenshots'));
fs.mkdirSync(shots, { recursive: true });

const problems = [];
const browser = await chromium.launch({
  executablePath: env('CHROMIUM', '/usr/bin/chromium'),
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});

/** A fresh browser context in `locale`, with a page that reports problems. */
async function newPage(locale = 'en-US') {
  const context = await browser.newContext({
    locale,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    extraHTTPHeaders: { 'Accept-Language': locale === 'ja-JP' ? 'ja,en;q=0.5' : 'en-US,en;q=0.9' },
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
    else if (m.type() === 'error' && !/status of (4|5)\d\d/.test(text)) problems.push(`console error: ${text}`);
  });
  page.on('dialog', async (d) => {
    problems.push(`a ${d.type()} dialog fired: ${d.message()}`);
    await d.dismiss();
  });
  return { context, page };
}

const ctx = {
  base: env('KURA_URL'),
  tenant: env('KURA_TENANT'),
  login: env('KURA_LOGIN'),
  password: env('KURA_PASSWORD'),
  env,
  newPage,
  problems,
  /** Saves a screenshot as <shots>/<name>.png. */
  async shot(page, file) {
    await page.screenshot({ path: path.join(shots, `${file}.png`) });
  },
  assert(cond, msg) {
    if (!cond) throw new Error(`assertion failed: ${msg}`);
  },
  eq(a, b, msg) {
    if (a !== b) throw new Error(`${msg}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
  },
  /** Signs in through the form. */
  async signIn(page, { tenant = ctx.tenant, login = ctx.login, password = ctx.password } = {}) {
    await page.goto(`${ctx.base}/ui/signin`);
    await page.fill('#tenant', tenant);
    await page.fill('#login', login);
    await page.fill('#password', password);
    await Promise.all([page.waitForLoadState('load'), page.click('#signin-form button[type=submit]')]);
  },
  /** Waits until the explorer's modules are running. */
  async explorerReady(page) {
    await page.waitForSelector('#list');
    await page.waitForFunction(() => !!window.kuraUploads);
  },
  /** The listing's row of the entry called exactly `name`. */
  row(page, name) {
    return page.locator('#rows > .row').filter({ has: page.getByText(name, { exact: true }) });
  },
  /**
   * Selects the row of `name` with a click and waits until it shows as
   * selected. A click that lands while the listing is drawn anew (after a
   * copy, say) hits a row being replaced and selects nothing: then it clicks
   * again.
   */
  async select(page, name) {
    for (let i = 0; ; i++) {
      await this.row(page, name).click();
      try {
        await page.waitForFunction(
          (n) => [...document.querySelectorAll('#rows > .row[aria-selected="true"]')]
            .some((r) => r.textContent.includes(n)),
          name, { timeout: 2000 });
        return;
      } catch (e) {
        if (i >= 4) throw e;
      }
    }
  },
  log(...args) { console.log(...args); },
};

let failed = false;
try {
  const mod = await import(`./scenarios/${name}.mjs`);
  await mod.default(ctx);
} catch (e) {
  failed = true;
  console.error(`scenario ${name} failed: ${e.stack || e}`);
  // What the browser showed when it failed, to see why.
  let i = 0;
  for (const bc of browser.contexts()) {
    for (const p of bc.pages()) {
      i += 1;
      await p.screenshot({ path: path.join(shots, `failed-${name}-${i}.png`) }).catch(() => {});
      console.error(`failed page ${i}: ${p.url()} (screenshot failed-${name}-${i}.png)`);
    }
  }
} finally {
  await browser.close();
}
if (problems.length) {
  failed = true;
  console.error(`problems seen in the browser:\n  ${problems.join('\n  ')}`);
}
process.exit(failed ? 1 : 0);
