// Loaded on every page: dates into the browser's time zone and language,
// messages for failed htmx requests, and the toast.

import { formatDate, t } from './i18n.js';

export function localizeTimes(root = document) {
  for (const el of root.querySelectorAll('time[datetime]:not([data-local])')) {
    const text = formatDate(el.getAttribute('datetime'));
    if (text) el.textContent = text;
    el.dataset.local = '';
  }
}

let toastTimer;
/** Shows a short message in the live region. */
export function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = message;
  el.dataset.kind = kind;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), kind === 'error' ? 8000 : 4000);
}

localizeTimes();
document.body.addEventListener('htmx:afterSettle', () => localizeTimes());
document.body.addEventListener('htmx:responseError', () => toast(t('js.load_failed'), 'error'));
document.body.addEventListener('htmx:sendError', () => toast(t('js.load_failed'), 'error'));
