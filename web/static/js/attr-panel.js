// The attributes of one file or folder in the details panel: its values
// (labels and values in the UI language) and an edit form that sends the
// changed ones with PATCH /api/v1/files/{path}/attributes. A refused value
// is shown under its own field.

import { ApiError, api, encodePath } from './api.js';
import { toast } from './app.js';
import { el, field, formatValue, label, valueError } from './attrs.js';
import { t } from './i18n.js';

function parse(s, fallback) {
  try { return JSON.parse(s || '') ?? fallback; } catch { return fallback; }
}

/** Wires the panel `sec` (section#attr-panel of details.html). */
export function initAttrPanel(sec) {
  if (!sec) return;
  const path = sec.dataset.path;
  const defs = parse(sec.dataset.defs, []);
  let values = parse(sec.dataset.values, {});
  const list = sec.querySelector('.attr-values');
  const none = sec.querySelector('.attr-none');
  const form = sec.querySelector('.attr-form');
  const box = sec.querySelector('.attr-fields');
  const formErr = sec.querySelector('.attr-error');
  const editBtn = sec.querySelector('[data-attr="edit"]');
  let fields = [];

  function show() {
    const rows = defs.filter((d) => values[d.key] !== undefined && values[d.key] !== null);
    list.replaceChildren(...rows.flatMap((d) => [
      el('dt', { text: label(d) }),
      el('dd', { text: formatValue(d, values[d.key]) }),
    ]));
    list.hidden = !rows.length;
    none.hidden = rows.length > 0;
    editBtn.hidden = !defs.length;
  }

  function edit() {
    fields = defs.map((d) => field(d, values[d.key], 'af'));
    box.replaceChildren(...fields.map((f) => f.el));
    formErr.hidden = true;
    form.hidden = false;
    list.hidden = true;
    none.hidden = true;
    editBtn.hidden = true;
    fields[0]?.focus();
  }

  function close() {
    form.hidden = true;
    show();
    editBtn.focus();
  }

  async function save(e) {
    e.preventDefault();
    for (const f of fields) f.error('');
    formErr.hidden = true;
    const changed = {};
    for (const f of fields) {
      const v = f.read();
      if (JSON.stringify(v) !== JSON.stringify(values[f.key] ?? null)) changed[f.key] = v;
    }
    if (!Object.keys(changed).length) { close(); return; }
    try {
      const r = await api('PATCH', `/api/v1/files${encodePath(path)}/attributes`, changed);
      values = r?.attributes || {};
      toast(t('js.attr.saved'));
      close();
    } catch (err) {
      const f = err instanceof ApiError && err.attribute && fields.find((x) => x.key === err.attribute);
      if (f) {
        f.error(valueError(defs.find((d) => d.key === f.key), err));
        f.focus();
      } else {
        formErr.textContent = err instanceof ApiError ? err.message : t('error.generic');
        formErr.hidden = false;
      }
    }
  }

  editBtn.addEventListener('click', edit);
  sec.querySelector('[data-attr="cancel"]').addEventListener('click', close);
  form.addEventListener('submit', save);
  form.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); close(); } });
  show();
}
