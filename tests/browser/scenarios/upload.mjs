// Drag and drop of several files with Japanese names (a synthetic drop with
// a DataTransfer), shown in the upload panel with progress; then the same
// files again: the conflict question is asked once ("keep both", apply to
// all). Uploads are slowed down (CDP network throttling) so progress shows.
// The Rust side checks the bytes stored.

export default async function (c) {
  const { page, context } = await c.newPage('ja-JP');
  await c.signIn(page);
  await c.explorerReady(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 3 * 1024 * 1024,
  });

  const names = JSON.parse(c.env('KURA_FILES'));
  const size = Number(c.env('KURA_FILE_SIZE'));
  // Records whether any file was seen part-way (0 < sent < total).
  await page.evaluate(() => {
    window.partial = 0;
    window.kuraUploads.addEventListener('change', (e) => {
      const it = e.detail;
      if (it && it.sent > 0 && it.sent < it.total) window.partial += 1;
    });
  });
  const drop = async () => page.evaluate(({ names, size }) => {
    const dt = new DataTransfer();
    names.forEach((name, k) => {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i += 1) bytes[i] = (i * 7 + k * 13) & 255;
      dt.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
    });
    const target = document.getElementById('list');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, { names, size });

  await drop();
  await page.waitForSelector('#uploads:not([hidden]) progress');
  await page.waitForFunction(() => window.partial > 0, null, { timeout: 20000 });
  await c.shot(page, 'upload-progress');
  await page.waitForFunction((n) => document.querySelectorAll('#upload-list li[data-state="done"]').length === n, names.length, { timeout: 60000 });
  for (const n of names) await c.row(page, n).waitFor();

  // Again: one question for all three, keep both.
  await drop();
  await page.waitForSelector('#dlg-conflict[open]');
  await c.shot(page, 'upload-conflict');
  await page.check('#dlg-conflict-all');
  await page.click('#dlg-conflict button[value="keep"]');
  await page.waitForFunction((n) => document.querySelectorAll('#upload-list li[data-state="done"]').length === 2 * n, names.length, { timeout: 60000 });
  c.assert(!(await page.locator('#dlg-conflict[open]').count()), 'asked only once');
  const numbered = names.map((n) => n.replace(/(\.[^.]+)$/, ' (2)$1'));
  for (const n of numbered) await c.row(page, n).waitFor();
  await c.shot(page, 'upload-done');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
}
