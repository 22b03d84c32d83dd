// The account page and the recovery codes: "Copy" buttons put a token or
// the codes on the clipboard. The messages come from the button's data
// attributes (data-copied, data-copy-failed), already in the page's language.

import { toast } from './app.js';

/** The text to copy from the element `id` (list items one a line). */
function textOf(id) {
  const el = document.getElementById(id);
  if (!el) return '';
  const items = el.querySelectorAll('li');
  if (items.length) return [...items].map((li) => li.textContent.trim()).join('\n');
  return el.textContent.trim();
}

document.addEventListener('click', async (ev) => {
  const btn = ev.target.closest('button[data-copy]');
  if (!btn) return;
  try {
    await navigator.clipboard.writeText(textOf(btn.dataset.copy));
    toast(btn.dataset.copied || '');
  } catch {
    // No clipboard (an old browser, or permission refused): select the text
    // so the user can copy it themselves.
    const el = document.getElementById(btn.dataset.copy);
    if (el) window.getSelection()?.selectAllChildren(el);
    toast(btn.dataset.copyFailed || '', 'error');
  }
});
