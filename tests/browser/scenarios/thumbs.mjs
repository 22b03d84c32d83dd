// Thumbnails and the preview viewer: an image made in the page (canvas) is
// dropped on the listing; the grid then shows its thumbnail (made by the
// server's background job), and the list a small one. The preview opens on
// double-click, zooms (button, key, wheel), pans (drag) and closes with
// Escape; a text file previews as text (Enter), a PDF in the browser's own
// viewer in a frame (which the server lets only Kura's pages do).

export default async function (c) {
  const { page } = await c.newPage('ja-JP');
  await c.signIn(page);
  await c.explorerReady(page);
  await page.click('[data-view="grid"]');

  const name = c.env('KURA_IMAGE_NAME');
  await page.evaluate(async (name) => {
    const canvas = document.createElement('canvas');
    canvas.width = 1600;
    canvas.height = 1000;
    const g = canvas.getContext('2d');
    const sky = g.createLinearGradient(0, 0, 0, 1000);
    sky.addColorStop(0, '#7db9e8');
    sky.addColorStop(1, '#f2f7fb');
    g.fillStyle = sky;
    g.fillRect(0, 0, 1600, 1000);
    g.fillStyle = '#2f6b3a';
    g.beginPath(); g.moveTo(0, 1000); g.lineTo(500, 420); g.lineTo(900, 1000); g.fill();
    g.fillStyle = '#3d8a4b';
    g.beginPath(); g.moveTo(600, 1000); g.lineTo(1150, 300); g.lineTo(1600, 1000); g.fill();
    g.fillStyle = '#f5c542';
    g.beginPath(); g.arc(1300, 200, 90, 0, Math.PI * 2); g.fill();
    g.fillStyle = '#b33';
    g.fillRect(200, 700, 260, 180);
    g.fillStyle = '#fff';
    g.font = 'bold 64px sans-serif';
    g.fillText('KURA 蔵', 560, 920);
    const blob = await new Promise((r) => canvas.toBlob(r, 'image/png'));
    const dt = new DataTransfer();
    dt.items.add(new File([blob], name, { type: 'image/png' }));
    const target = document.getElementById('list');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, name);
  await page.waitForSelector('#upload-list li[data-state="done"]', { timeout: 30000 });
  const row = c.row(page, name);
  await row.waitFor();
  await page.click('#uploads-close');

  // The grid shows the thumbnail (retried while the job is pending).
  await row.locator('.vis.thumb-ok').waitFor({ timeout: 30000 });
  const size = await row.locator('img.thumb').evaluate((img) => [img.naturalWidth, img.naturalHeight]);
  c.assert(size[0] > 0 && size[0] <= 256 && size[1] <= 256, `thumbnail size ${size}`);
  c.assert(await c.row(page, 'メモ.txt').locator('img.thumb').count() === 0, 'no thumbnail for text');
  await c.shot(page, 'thumbs-grid');
  await page.click('[data-view="list"]');
  await c.shot(page, 'thumbs-list');
  // The details panel shows it larger, with a Preview button.
  await row.click();
  await page.click('.toolbar [data-action="details"]');
  await page.locator('#details .details-thumb.thumb-ok').waitFor({ timeout: 10000 });
  await c.shot(page, 'thumbs-details');
  await page.click('#details [data-action="preview"]');
  await page.waitForSelector('#dlg-preview[open] .preview-img');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#dlg-preview:not([open])', { state: 'attached' });
  await page.click('#details [data-action="close-details"]');

  // The preview: fit to the window, then zoom and pan.
  await row.dblclick();
  await page.waitForSelector('#dlg-preview[open] .preview-img');
  await page.waitForFunction(() => document.querySelector('#dlg-preview .preview-img')?.naturalWidth > 0);
  const scale = () => page.locator('#preview-scale').textContent().then((s) => parseInt(s, 10));
  const fitted = await scale();
  c.assert(fitted > 0 && fitted <= 100, `fitted at ${fitted}%`);
  await page.click('#dlg-preview [data-zoom="in"]');
  const zoomed = await scale();
  c.assert(zoomed > fitted, `zoom button: ${fitted}% -> ${zoomed}%`);
  await page.keyboard.press('+');
  c.assert(await scale() > zoomed, 'the + key zooms in');
  const stage = await page.locator('#preview-stage').boundingBox();
  await page.mouse.move(stage.x + stage.width / 2, stage.y + stage.height / 2);
  await page.mouse.wheel(0, -300);
  await page.waitForFunction((z) => parseInt(document.getElementById('preview-scale').textContent, 10) > z, zoomed);
  const before = await page.locator('.preview-img').evaluate((i) => i.style.transform);
  await page.mouse.down();
  await page.mouse.move(stage.x + stage.width / 2 - 150, stage.y + stage.height / 2 - 80, { steps: 5 });
  await page.mouse.up();
  const after = await page.locator('.preview-img').evaluate((i) => i.style.transform);
  c.assert(before !== after, `drag pans: ${before} -> ${after}`);
  await c.shot(page, 'preview-image-zoomed');
  await page.keyboard.press('0');
  c.eq(await scale(), fitted, 'the 0 key fits again');
  await c.shot(page, 'preview-image');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#dlg-preview:not([open])', { state: 'attached' });

  // A text file previews as text (Enter on the row).
  await c.row(page, 'メモ.txt').click();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#dlg-preview[open] .preview-text');
  await page.waitForFunction(() => document.querySelector('.preview-text')?.textContent.includes('<b>'));
  c.eq(await page.locator('.preview-text b').count(), 0, 'markup in text stays text');
  await c.shot(page, 'preview-text');
  await page.click('#preview-close');
  await page.waitForSelector('#dlg-preview:not([open])', { state: 'attached' });

  // The PDF has a first-page thumbnail, and previews in a frame.
  const pdf = c.row(page, '図面.pdf');
  await pdf.locator('.vis.thumb-ok').waitFor({ timeout: 30000 });
  const framed = page.waitForResponse((r) => r.url().includes('inline=true'), { timeout: 10000 });
  await pdf.dblclick();
  await page.locator('#dlg-preview[open] iframe.preview-frame').waitFor();
  const headers = await (await framed).allHeaders();
  c.eq(headers['x-frame-options'], 'SAMEORIGIN', 'the inline PDF may be framed by Kura');
  await page.waitForTimeout(1500);
  await c.shot(page, 'preview-pdf');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#dlg-preview:not([open])', { state: 'attached' });
  await c.shot(page, 'thumbs-list-pdf');
}
