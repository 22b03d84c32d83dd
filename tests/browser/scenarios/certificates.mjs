// Client certificate authorities: add one from a file and one pasted, a
// bad paste is refused with a message, a CRL is loaded, one CA is removed
// through the confirmation dialog and the removal of the other cancelled.
// tests/api/browser_security.rs checks what the API then lists.

async function follow(page, action) {
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await action();
  await nav;
}

export default async function (c) {
  const caPem = c.env('KURA_CA_PEM');
  const oldPem = c.env('KURA_OLD_CA_PEM');
  const crlPem = c.env('KURA_CRL_PEM');
  const { page } = await c.newPage('en-US');
  await c.signIn(page);
  await follow(page, () => page.click('.mainnav a[href="/ui/admin"]'));
  await follow(page, () => page.click('#nav-certificates'));
  await page.waitForSelector('#cas-none');
  await c.shot(page, 'certificates-empty-en');

  // From a file: the module reads it into the text area.
  await page.setInputFiles('#ca-file', { name: 'old-root.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(oldPem) });
  await page.waitForFunction(() => document.getElementById('ca-pem').value.includes('BEGIN CERTIFICATE'));
  await follow(page, () => page.click('#add-ca'));
  c.assert(/done=cas_added/.test(page.url()), `added: ${page.url()}`);
  c.eq((await page.locator('#notice').textContent()).trim(), 'The certificate authorities were added.', 'added notice');
  // Pasted.
  await page.fill('#ca-pem', caPem);
  await follow(page, () => page.click('#add-ca'));
  const rows = page.locator('#cas-table tbody tr');
  c.eq(await rows.count(), 2, 'two CAs listed');
  c.assert((await page.locator('#cas-table').textContent()).includes('Acme 社内 CA'), 'Japanese subject shown');

  // Not a certificate.
  await page.fill('#ca-pem', 'this is not a certificate');
  await follow(page, () => page.click('#add-ca'));
  const err = (await page.locator('#page-error').textContent()).trim();
  c.assert(err.startsWith('These are not usable certificate authorities'), `refusal explained: ${err}`);
  c.eq(await page.inputValue('#ca-pem'), 'this is not a certificate', 'the paste is kept');
  await c.shot(page, 'certificates-error-en');

  // A CRL.
  await page.fill('#crl-pem', crlPem);
  await follow(page, () => page.click('#save-crl'));
  c.assert(/done=crl_saved/.test(page.url()), `CRL saved: ${page.url()}`);
  c.eq((await page.locator('#crl-table tbody td').nth(3).textContent()).trim(), '2', 'two revoked');

  // Remove the old root (confirmed), keep the other (cancelled).
  const dlg = page.locator('#dlg-confirm');
  await rows.filter({ hasText: 'Old Root' }).locator('button').click();
  await dlg.waitFor({ state: 'visible' });
  c.assert((await page.locator('#dlg-confirm-text').textContent()).includes('Old Root'), 'dialog names the CA');
  await c.shot(page, 'certificates-dialog-en');
  await follow(page, () => page.click('#dlg-confirm button[value="ok"]'));
  c.assert(/done=ca_deleted/.test(page.url()), `deleted: ${page.url()}`);
  c.eq(await rows.count(), 1, 'one CA left');
  await rows.first().locator('button').click();
  await dlg.waitFor({ state: 'visible' });
  await page.click('#dlg-confirm button[value="cancel"]');
  await dlg.waitFor({ state: 'hidden' });
  await page.waitForTimeout(300);
  c.eq(await rows.count(), 1, 'cancelled: still listed');
  await c.shot(page, 'certificates-en');
  await follow(page, () => page.click('.langs a[lang="ja"]'));
  c.eq((await page.locator('h1').textContent()).trim(), 'クライアント証明書', 'Japanese title');
  await c.shot(page, 'certificates-ja');
}
