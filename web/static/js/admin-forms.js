// Administration forms: a button (or form) with data-confirm-title and
// data-confirm-text asks in the page's <dialog> before it submits (never
// window.confirm), and a file input with data-pem-into reads a PEM file
// into the text area of that id. The texts come translated from the page.

import { confirmBox } from './dialogs.js';

document.addEventListener('submit', async (e) => {
  const form = e.target;
  if (!(form instanceof HTMLFormElement) || form.method === 'dialog') return;
  const button = e.submitter;
  const src = button?.dataset.confirmTitle ? button : (form.dataset.confirmTitle ? form : null);
  if (!src) return;
  if (form.dataset.confirmed === '1') {
    delete form.dataset.confirmed;
    return;
  }
  e.preventDefault();
  if (!(await confirmBox(src.dataset.confirmTitle, src.dataset.confirmText || ''))) {
    button?.focus();
    return;
  }
  form.dataset.confirmed = '1';
  form.requestSubmit(button || undefined);
});

for (const input of document.querySelectorAll('input[type="file"][data-pem-into]')) {
  input.addEventListener('change', async () => {
    const target = document.getElementById(input.dataset.pemInto);
    const file = input.files && input.files[0];
    if (!target || !file) return;
    target.value = await file.text();
    target.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
