// Accessibility and layout audit of the main screens, in both languages:
// axe-core (WCAG 2.x A and AA rules, colour contrast included) finds no
// violation on the sign-in page, the explorer (list, grid, details panel,
// a dialog), the trash, the search page, the attribute schema editor and
// the administration pages (users, security policy, certificates, virus
// detections) and the account page; and at 1024 and 1280 px wide nothing overflows
// the window sideways and every toolbar button is inside it.
//
// axe is evaluated through the DevTools protocol, which the page's
// Content-Security-Policy does not apply to (the page itself still runs
// without inline script).

import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function audit(c, page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    resultTypes: ['violations'],
  }));
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n      ${v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`).join('\n      ')}`);
  c.log(`AUDIT ${what}: ${result.violations.length} violation(s), ${result.passes?.length ?? 0} passes`);
  c.assert(found.length === 0, `accessibility violations on ${what}:\n    ${found.join('\n    ')}`);
}

async function fits(c, page, what) {
  const r = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const out = Array.from(document.querySelectorAll('.toolbar button:not([hidden]), .topbar a, .topbar button'))
      .filter((b) => b.offsetParent !== null)
      .filter((b) => { const x = b.getBoundingClientRect(); return x.left < 0 || x.right > w + 0.5; })
      .map((b) => b.textContent.trim() || b.getAttribute('aria-label'));
    return { scroll: document.documentElement.scrollWidth, w, out };
  });
  c.assert(r.scroll <= r.w, `${what}: the page is ${r.scroll} px wide in a ${r.w} px window`);
  c.eq(r.out.join(', '), '', `${what}: controls outside the window`);
}

export default async function (c) {
  for (const locale of ['ja-JP', 'en-US']) {
    const { page, context } = await c.newPage(locale);
    await page.goto(`${c.base}/ui/signin`);
    await audit(c, page, `sign-in (${locale})`);
    await c.signIn(page);
    await c.explorerReady(page);
    await audit(c, page, `explorer list (${locale})`);
    for (const width of [1024, 1280]) {
      await page.setViewportSize({ width, height: 768 });
      await fits(c, page, `explorer at ${width} px (${locale})`);
    }
    await c.row(page, '報告書.txt').click();
    await page.click('.toolbar [data-action="details"]');
    await page.waitForSelector('#details:not([hidden]) .versions li');
    await audit(c, page, `explorer details (${locale})`);
    await fits(c, page, `explorer with details at 1280 px (${locale})`);
    await page.setViewportSize({ width: 1024, height: 768 });
    await fits(c, page, `explorer with details at 1024 px (${locale})`);
    await c.shot(page, `a11y-details-1024-${locale}`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.click('[data-view="grid"]');
    await audit(c, page, `explorer grid (${locale})`);
    await page.click('[data-view="list"]');
    await page.click('.toolbar [data-action="new-folder"]');
    await page.waitForSelector('#dlg-name[open]');
    await audit(c, page, `new-folder dialog (${locale})`);
    await page.keyboard.press('Escape');

    const pages = [['/ui/trash', 'trash'], ['/ui/search', 'search'], ['/ui/attributes', 'attributes'], ['/ui/admin', 'admin'],
      ['/ui/admin/security', 'security policy'], ['/ui/admin/certificates', 'certificates'], ['/ui/admin/detections', 'detections'],
      ['/ui/account', 'account']];
    for (const [url, what] of pages) {
      await page.goto(`${c.base}${url}`);
      await page.waitForLoadState('networkidle');
      await audit(c, page, `${what} (${locale})`);
      await page.setViewportSize({ width: 1024, height: 768 });
      await fits(c, page, `${what} at 1024 px (${locale})`);
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    await context.close();
  }
}
