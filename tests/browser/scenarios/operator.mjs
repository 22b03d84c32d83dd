// The operator creates a tenant, changes its capacity and suspends it.

export default async function (c) {
  const { page } = await c.newPage('en-US');
  await c.signIn(page);
  await page.click('.mainnav a[href="/ui/operator"]');
  await page.fill('#nt-code', 'acme-west');
  await page.fill('#nt-name', 'Acme West 株式会社');
  await page.fill('#nt-capacity', '5GB');
  await Promise.all([page.waitForURL(/done=tenant_created/), page.click('#new-tenant-form button[type=submit]')]);
  const row = page.locator('#tenants-table tr[data-code="acme-west"]');
  await row.waitFor();
  c.assert((await row.textContent()).includes('Acme West 株式会社'), 'tenant listed');
  await row.locator('input[name="capacity"]').fill('20GiB');
  await Promise.all([page.waitForURL(/done=tenant_updated/), row.locator('form:has(input[name="capacity"]) button').click()]);
  c.assert((await page.locator('#tenants-table tr[data-code="acme-west"]').textContent()).includes('20 GB'), 'capacity changed');
  await c.shot(page, 'operator');
  await Promise.all([page.waitForURL(/done=tenant_updated/), page.locator('#tenants-table tr[data-code="acme-west"] button[value="suspended"]').click()]);
  c.assert((await page.locator('#tenants-table tr[data-code="acme-west"]').textContent()).includes('Suspended'), 'suspended');
  // A bad capacity is a translated error, not raw JSON.
  await page.fill('#nt-code', 'acme-east');
  await page.fill('#nt-name', 'Acme East');
  await page.fill('#nt-capacity', 'lots');
  await Promise.all([page.waitForURL(/error=/), page.click('#new-tenant-form button[type=submit]')]);
  c.assert((await page.locator('.error').textContent()).length > 5, 'error shown');
}
