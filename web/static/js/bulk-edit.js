// "Edit attributes" for a selection: the user ticks the attributes to set,
// and POST /api/v1/attributes/bulk sets them on every selected item at once
// (all or nothing: a refusal names the attribute and the path, and nothing
// was changed).

import { ApiError, api } from './api.js';
import { toast } from './app.js';
import { el, field, label, loadSchema, valueError } from './attrs.js';
import { t } from './i18n.js';

const dlg = document.getElementById('dlg-attrs');

/** Opens the dialog for `paths`; resolves true when values were set. */
export async function bulkEdit(paths) {
  if (!dlg || !paths.length) return false;
  const form = dlg.querySelector('form');
  const box = document.getElementById('dlg-attrs-fields');
  const err = document.getElementById('dlg-attrs-error');
  document.getElementById('dlg-attrs-count').textContent = t('js.attr.bulk_count', { n: paths.length });
  err.hidden = true;
  let defs;
  try { defs = await loadSchema(); } catch (e) { toast(e instanceof ApiError ? e.message : t('error.generic'), 'error'); return false; }
  // Each attribute gets a "set" box; editing a value ticks it.
  const rows = defs.map((d) => {
    const f = field(d, null, 'bulk', { required: false });
    const apply = el('input', { type: 'checkbox', class: 'apply', id: `bulk-apply-${d.key}` });
    apply.setAttribute('aria-label', t('js.attr.bulk_apply', { label: label(d) }));
    f.el.addEventListener('input', () => { apply.checked = true; });
    f.el.addEventListener('change', (e) => { if (e.target !== apply) apply.checked = true; });
    return { d, f, apply, row: el('div', { class: 'bulk-row' }, apply, f.el) };
  });
  box.replaceChildren(...(rows.length ? rows.map((r) => r.row) : [el('p', { class: 'muted', text: t('js.attr.no_schema') })]));
  dlg.returnValue = '';
  dlg.showModal();
  (rows[0]?.f ?? { focus: () => {} }).focus();
  return new Promise((resolve) => {
    const onSubmit = async (e) => {
      if (e.submitter?.value !== 'ok') return;
      e.preventDefault();
      for (const r of rows) r.f.error('');
      err.hidden = true;
      const set = {};
      for (const r of rows) if (r.apply.checked) set[r.d.key] = r.f.read();
      if (!Object.keys(set).length) {
        err.textContent = t('js.attr.bulk_none');
        err.hidden = false;
        return;
      }
      try {
        const res = await api('POST', '/api/v1/attributes/bulk', { paths, set });
        toast(t('js.attr.bulk_done', { n: res?.updated ?? paths.length }));
        dlg.close('ok');
      } catch (x) {
        const r = x instanceof ApiError && x.attribute && rows.find((y) => y.d.key === x.attribute);
        // The server names the item in its detail ("... (on /path)").
        const on = x instanceof ApiError ? /\(on (\/.*)\)\s*$/.exec(x.detail)?.[1] : null;
        let text = x instanceof ApiError ? x.message : t('error.generic');
        if (r) {
          text = valueError(r.d, x);
          r.f.error(text);
        }
        err.textContent = on ? t('js.attr.bulk_refused_on', { text, path: on }) : text;
        err.hidden = false;
      }
    };
    form.addEventListener('submit', onSubmit);
    dlg.addEventListener('close', () => {
      form.removeEventListener('submit', onSubmit);
      resolve(dlg.returnValue === 'ok');
    }, { once: true });
  });
}
