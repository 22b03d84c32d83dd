// A large upload (tus, 8 MiB chunks) interrupted part-way by a page reload;
// the same file dropped again continues from the server's offset instead of
// starting over. The Rust side checks the stored bytes.

export default async function (c) {
  const { page, context } = await c.newPage('en-US');
  await c.signIn(page);
  await c.explorerReady(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // Slow enough to reload part-way through a 200 MB file.
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 40 * 1024 * 1024,
  });
  const name = c.env('KURA_FILE');
  const size = Number(c.env('KURA_FILE_SIZE'));
  const dropFile = () => page.evaluate(({ name, size }) => {
    // Records every progress report (sent bytes) of the upload.
    window.sentLog = [];
    window.kuraUploads.addEventListener('change', (e) => {
      if (e.detail) window.sentLog.push(e.detail.sent);
    });
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 1) bytes[i] = (i * 7) & 255;
    const dt = new DataTransfer();
    // Same name, size and date after the reload: the same file to the client.
    dt.items.add(new File([bytes], name, { type: 'application/octet-stream', lastModified: 1700000000000 }));
    const target = document.getElementById('list');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, { name, size });

  await dropFile();
  await page.waitForFunction((size) => window.sentLog.some((s) => s > size * 0.4), size, { timeout: 60000 });
  await c.shot(page, 'upload-resume-before-reload');
  await page.reload();
  await c.explorerReady(page);
  await dropFile();
  await page.waitForFunction(() => document.querySelectorAll('#upload-list li[data-state="done"]').length === 1, null, { timeout: 120000 });
  const log = await page.evaluate(() => window.sentLog);
  const firstReport = log.find((s) => s > 0) ?? 0;
  // The first progress after the reload is the server's offset: more than
  // one 8 MiB chunk (a fresh start reports less before its first chunk ends).
  c.assert(firstReport > 8 * 1024 * 1024, `resumed at ${firstReport} (log ${log.slice(0, 5)})`);
  await c.row(page, name).waitFor();
  await c.shot(page, 'upload-resume-done');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
}
