// Custom search attributes in the browser: labels in the UI language,
// values written the language's way, and one input per attribute type
// (used by the details panel, the bulk edit dialog and the schema editor).
// Every label and value is set as text, never parsed as HTML.

import { api } from './api.js';
import { formatNumber, lang, t } from './i18n.js';

/** The label of a definition or a choice in the UI language. */
export function label(item) {
  const l = item?.labels || {};
  return (lang === 'ja' ? l.ja : l.en) || l.en || l.ja || item?.key || item?.value || '';
}

/** The label of one choice value of `def` (the value itself if unknown). */
export function choiceLabel(def, value) {
  const c = (def.choices || []).find((x) => x.value === value);
  return c ? label(c) : String(value);
}

const dayFormat = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-US', {
  year: 'numeric', month: lang === 'ja' ? '2-digit' : 'short', day: '2-digit', timeZone: 'UTC',
});

/** A `YYYY-MM-DD` date the language's way (a date has no time zone). */
export function formatDay(s) {
  const d = new Date(`${s}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? String(s) : dayFormat.format(d);
}

/** A value of `def` as text for people. */
export function formatValue(def, v) {
  if (v === null || v === undefined) return '';
  switch (def.type) {
    case 'number': return typeof v === 'number' ? formatNumber(v) : String(v);
    case 'date': return formatDay(v);
    case 'boolean': return t(v ? 'js.attr.yes' : 'js.attr.no');
    case 'choice': return choiceLabel(def, v);
    case 'multi_choice': return (Array.isArray(v) ? v : [v]).map((x) => choiceLabel(def, x)).join(lang === 'ja' ? '、' : ', ');
    default: return String(v);
  }
}

let schema;
/** The tenant's live attribute definitions (fetched once per page). */
export function loadSchema() {
  schema ??= api('GET', '/api/v1/attributes').then((r) => r.items || []);
  return schema;
}

/** The catalogue key of a type's name. */
export function typeKey(type) { return `js.attr.type.${type}`; }

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}
export { el };

/**
 * A labelled input for `def` holding `value`. Returns `{ el, read, error,
 * focus }`: `read()` gives the value to send (`null` clears), `error(text)`
 * shows or hides a message under the field.
 */
export function field(def, value, idPrefix, { required = def.required } = {}) {
  const id = `${idPrefix}-${def.key}`;
  const wrap = el('div', { class: 'field' });
  wrap.dataset.key = def.key;
  wrap.dataset.type = def.type;
  const err = el('p', { class: 'field-error', id: `${id}-err`, role: 'alert' });
  err.hidden = true;
  const caption = label(def) + (required ? ' *' : '');
  let read;
  let first;
  const describe = (input) => {
    input.setAttribute('aria-describedby', err.id);
    if (required) input.setAttribute('aria-required', 'true');
  };
  switch (def.type) {
    case 'multi_choice': {
      const set = new Set(Array.isArray(value) ? value : []);
      const fs = el('fieldset', { class: 'choices' }, el('legend', { text: caption }));
      const boxes = (def.choices || []).map((c, i) => {
        const box = el('input', { type: 'checkbox', id: `${id}-${i}`, value: c.value });
        box.checked = set.has(c.value);
        describe(box);
        fs.append(el('label', { class: 'check', for: box.id }, box, el('span', { text: label(c) })));
        return box;
      });
      [first] = boxes;
      read = () => {
        const v = boxes.filter((b) => b.checked).map((b) => b.value);
        return v.length ? v : null;
      };
      wrap.append(fs);
      break;
    }
    case 'boolean': {
      const box = el('input', { type: 'checkbox', id });
      box.checked = value === true;
      describe(box);
      // An untouched box of an unset value stays unset (not "no").
      let touched = false;
      box.addEventListener('change', () => { touched = true; });
      read = () => (touched || value !== null && value !== undefined ? box.checked : null);
      first = box;
      wrap.append(el('label', { class: 'check', for: id }, box, el('span', { text: caption })));
      break;
    }
    case 'choice': {
      const sel = el('select', { id });
      sel.append(el('option', { value: '', text: t('js.attr.unset') }));
      for (const c of def.choices || []) sel.append(el('option', { value: c.value, text: label(c) }));
      sel.value = typeof value === 'string' ? value : '';
      describe(sel);
      read = () => sel.value || null;
      first = sel;
      wrap.append(el('label', { for: id, text: caption }), sel);
      break;
    }
    default: {
      const type = { number: 'number', date: 'date' }[def.type] || 'text';
      const input = el('input', { id, type, autocomplete: 'off' });
      if (type === 'number') input.step = 'any';
      input.value = value === null || value === undefined ? '' : String(value);
      describe(input);
      read = () => {
        const s = input.value.trim();
        if (!s) return null;
        if (type === 'number') { const n = Number(s); return Number.isFinite(n) ? n : s; }
        return s;
      };
      first = input;
      wrap.append(el('label', { for: id, text: caption }), input);
    }
  }
  wrap.append(err);
  return {
    el: wrap,
    key: def.key,
    read,
    focus: () => first?.focus(),
    error(text) {
      err.textContent = text || '';
      err.hidden = !text;
      wrap.classList.toggle('invalid', !!text);
      for (const i of wrap.querySelectorAll('input, select')) {
        if (text) i.setAttribute('aria-invalid', 'true'); else i.removeAttribute('aria-invalid');
      }
    },
  };
}

/** The message for a refused value of `def` (an `invalid_attribute` answer). */
export function valueError(def, e) {
  const name = def ? label(def) : e.attribute;
  if (/is required/.test(e.detail || '')) return t('js.attr.required', { label: name });
  return t('js.attr.invalid', { label: name });
}
