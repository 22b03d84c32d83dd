// Thumbnails in the listing: each file that may have one carries a lazy
// <img class="thumb"> over its icon, shown once it loads. A thumbnail still
// being made (404 with thumbnail_status "pending") is asked for again a few
// times; any other failure leaves the icon. No inline handlers (CSP): load
// and error events are caught on the listing in the capture phase.

const RETRIES = 12;

async function failed(img) {
  const tries = Number(img.dataset.tries || 0);
  let status = '';
  try {
    const r = await fetch(img.src, { credentials: 'same-origin' });
    status = r.ok ? 'ready' : (await r.json()).thumbnail_status || '';
  } catch { /* offline: give up */ }
  if ((status === 'pending' || status === 'ready') && tries < RETRIES && img.isConnected) {
    img.dataset.tries = String(tries + 1);
    const u = new URL(img.src, window.location.href);
    u.searchParams.set('try', String(tries + 1));
    setTimeout(() => { img.src = u.pathname + u.search; }, status === 'ready' ? 0 : 800 + tries * 400);
    return;
  }
  img.remove();
}

/** Watches `container` (the listing) for thumbnails loading or failing. */
export function initThumbs(container) {
  container.addEventListener('load', (e) => {
    const img = e.target;
    if (img instanceof HTMLImageElement && img.classList.contains('thumb')) img.parentElement?.classList.add('thumb-ok');
  }, true);
  container.addEventListener('error', (e) => {
    const img = e.target;
    if (img instanceof HTMLImageElement && img.classList.contains('thumb')) failed(img);
  }, true);
}
