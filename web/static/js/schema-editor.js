// The attribute schema editor (tenant admins): lists the tenant's
// attributes, creates and changes them (labels, required, default, choices
// with reordering and relabelling, folder) and archives them, all through
// /api/v1/attributes. When a removed choice is still in use the server
// answers 409 attribute_in_use; the editor then offers to move its values
// to a remaining choice (`rename_choices`) and save again.

import { ApiError, api } from './api.js';
import { toast } from './app.js';
import { el, field, formatValue, label, typeKey } from './attrs.js';
import { confirmBox } from './dialogs.js';
import { errorText, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const tbody = $('attr-table').querySelector('tbody');
const editor = $('attr-editor');
const form = $('ae-form');
const typeSel = $('ae-type');
const choiceList = $('ae-choices');
const defaultBox = $('ae-default');
const renameBox = $('ae-rename');
const renameRows = $('ae-rename-rows');
const KEY_RE = /^[a-z][a-z0-9_]{0,63}$/;

let attrs = [];
/** The attribute being edited (null: a new one). */
let editing = null;
let defaultField = null;

const hasChoices = (type) => type === 'choice' || type === 'multi_choice';

// --- the list --------------------------------------------------------------

function cell(text, cls) {
  const td = el('td', { text });
  if (cls) td.className = cls;
  return td;
}

function row(a) {
  const tr = el('tr');
  tr.dataset.key = a.key;
  const status = el('td');
  status.className = 'nowrap';
  if (a.archived) status.append(el('span', { class: 'badge warn', text: t('js.schema.archived') }));
  else status.append(el('span', { text: t('js.schema.active') }));
  const actions = el('td', { class: 'actions' });
  if (!a.archived) {
    const edit = el('button', { type: 'button', class: 'btn small', text: t('js.schema.edit') });
    edit.dataset.op = 'edit';
    edit.setAttribute('aria-label', t('js.schema.edit_named', { label: label(a) }));
    const archive = el('button', { type: 'button', class: 'btn small danger', text: t('js.schema.archive') });
    archive.dataset.op = 'archive';
    archive.setAttribute('aria-label', t('js.schema.archive_named', { label: label(a) }));
    actions.append(edit, archive);
  }
  const choices = (a.choices || []).map((c) => label(c)).join(', ');
  tr.append(
    el('td', {}, el('code', { text: a.key })),
    cell(a.labels.ja),
    cell(a.labels.en),
    cell(t(typeKey(a.type)), 'nowrap'),
    cell(a.required ? t('js.attr.yes') : ''),
    cell(formatValue(a, a.default)),
    cell(choices, 'wrap'),
    cell(a.folder || t('js.schema.everywhere'), a.folder ? 'path' : 'nowrap'),
    status,
    actions,
  );
  if (a.archived) tr.classList.add('archived');
  return tr;
}

async function load() {
  const r = await api('GET', '/api/v1/attributes?archived=true');
  attrs = r.items || [];
  tbody.replaceChildren(...attrs.map(row));
  $('attr-empty').hidden = attrs.length > 0;
}

// --- the choices editor ----------------------------------------------------

function choiceRow(c, existing) {
  const li = el('li', { class: 'choice-row' });
  li.dataset.original = existing ? c.value : '';
  const value = el('input', { class: 'c-value', autocomplete: 'off', spellcheck: 'false', value: c.value });
  value.readOnly = existing;
  value.setAttribute('aria-label', t('js.schema.choice_value'));
  value.placeholder = t('js.schema.choice_value');
  const ja = el('input', { class: 'c-ja', lang: 'ja', autocomplete: 'off' });
  ja.value = c.labels.ja;
  ja.setAttribute('aria-label', t('js.schema.choice_label_ja'));
  ja.placeholder = t('js.schema.choice_label_ja');
  const en = el('input', { class: 'c-en', lang: 'en', autocomplete: 'off' });
  en.value = c.labels.en;
  en.setAttribute('aria-label', t('js.schema.choice_label_en'));
  en.placeholder = t('js.schema.choice_label_en');
  const btn = (op, text) => {
    const b = el('button', { type: 'button', class: 'btn small icon-only', text });
    b.dataset.op = op;
    b.setAttribute('aria-label', t(`js.schema.choice_${op}`));
    b.title = t(`js.schema.choice_${op}`);
    return b;
  };
  li.append(value, ja, en, btn('up', '↑'), btn('down', '↓'), btn('remove', '×'));
  return li;
}

/** The choices as edited, in order. */
function choices() {
  return Array.from(choiceList.children).map((li) => ({
    value: li.querySelector('.c-value').value.trim(),
    labels: { ja: li.querySelector('.c-ja').value.trim(), en: li.querySelector('.c-en').value.trim() },
  }));
}

choiceList.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-op]');
  if (!b) return;
  const li = b.closest('li');
  if (b.dataset.op === 'up' && li.previousElementSibling) li.previousElementSibling.before(li);
  else if (b.dataset.op === 'down' && li.nextElementSibling) li.nextElementSibling.after(li);
  else if (b.dataset.op === 'remove') {
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    (next?.querySelector('input') || $('ae-add-choice')).focus();
    rebuildDefault();
    return;
  }
  b.focus();
  rebuildDefault();
});
choiceList.addEventListener('change', () => rebuildDefault());
$('ae-add-choice').addEventListener('click', () => {
  const li = choiceRow({ value: '', labels: { ja: '', en: '' } }, false);
  choiceList.append(li);
  li.querySelector('input').focus();
});

// --- the default value -----------------------------------------------------

function rebuildDefault(value) {
  const keep = value !== undefined ? value : defaultField?.read() ?? null;
  const def = {
    key: 'default',
    type: typeSel.value,
    labels: { ja: t('js.schema.default_value'), en: t('js.schema.default_value') },
    choices: choices().filter((c) => c.value),
  };
  defaultField = field(def, keep, 'ae', { required: false });
  defaultBox.replaceChildren(defaultField.el);
}

function showChoices() {
  const on = hasChoices(typeSel.value);
  $('ae-choices-box').hidden = !on;
  $('ae-choices-h').hidden = !on;
}
typeSel.addEventListener('change', () => { showChoices(); rebuildDefault(null); });

// --- opening and saving ----------------------------------------------------

function clearErrors() {
  for (const p of form.querySelectorAll('.field-error, #ae-error')) { p.hidden = true; p.textContent = ''; }
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

function fieldError(id, text) {
  const p = $(`${id}-err`);
  p.textContent = text;
  p.hidden = false;
  $(id)?.setAttribute('aria-invalid', 'true');
}

function open(a) {
  editing = a;
  clearErrors();
  renameBox.hidden = true;
  renameRows.replaceChildren();
  $('ae-title').textContent = a ? t('js.schema.edit_title', { label: label(a) }) : t('js.schema.new_title');
  $('ae-key').value = a ? a.key : '';
  $('ae-key').readOnly = !!a;
  typeSel.value = a ? a.type : 'text';
  $('ae-label-ja').value = a ? a.labels.ja : '';
  $('ae-label-en').value = a ? a.labels.en : '';
  $('ae-required').checked = !!a?.required;
  $('ae-folder').value = a?.folder || '';
  choiceList.replaceChildren(...(a?.choices || []).map((c) => choiceRow(c, true)));
  showChoices();
  defaultField = null;
  rebuildDefault(a ? a.default : null);
  editor.hidden = false;
  editor.scrollIntoView({ block: 'start' });
  (a ? $('ae-label-ja') : $('ae-key')).focus();
}

function close() {
  editor.hidden = true;
  editing = null;
  $('ae-new').focus();
}

/** Client-side checks, each shown next to its field; true when all pass. */
function check(body) {
  let ok = true;
  if (!editing && !KEY_RE.test(body.key)) { fieldError('ae-key', t('js.schema.key_invalid')); ok = false; }
  if (!body.labels.ja) { fieldError('ae-label-ja', t('js.schema.label_missing')); ok = false; }
  if (!body.labels.en) { fieldError('ae-label-en', t('js.schema.label_missing')); ok = false; }
  if (hasChoices(body.type)) {
    const cs = choices();
    const values = cs.map((c) => c.value);
    if (!cs.length) { fieldError('ae-choices', t('js.schema.choices_missing')); ok = false; }
    else if (cs.some((c) => !c.value || !c.labels.ja || !c.labels.en)) { fieldError('ae-choices', t('js.schema.choice_incomplete')); ok = false; }
    else if (new Set(values).size !== values.length) { fieldError('ae-choices', t('js.schema.choice_duplicate')); ok = false; }
  }
  return ok;
}

/** Choices of the attribute being edited that the edit removes. */
function removedChoices() {
  if (!editing || !hasChoices(editing.type)) return [];
  const now = new Set(choices().map((c) => c.value));
  return (editing.choices || []).filter((c) => !now.has(c.value));
}

/** After attribute_in_use: one "move its values to" choice per removed choice. */
function offerRenames() {
  const removed = removedChoices();
  const remaining = choices().filter((c) => c.value);
  if (!removed.length || !remaining.length) return false;
  renameRows.replaceChildren(...removed.map((c, i) => {
    const sel = el('select', { id: `ae-rename-${i}` });
    sel.dataset.from = c.value;
    for (const r of remaining) sel.append(el('option', { value: r.value, text: label(r) }));
    return el('div', { class: 'rename-row' },
      el('label', { for: sel.id, text: t('js.schema.rename_to', { choice: label(c) }) }), sel);
  }));
  renameBox.hidden = false;
  return true;
}

function renames() {
  if (renameBox.hidden) return {};
  const out = {};
  for (const s of renameRows.querySelectorAll('select')) out[s.dataset.from] = s.value;
  return out;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors();
  const type = typeSel.value;
  const labels = { ja: $('ae-label-ja').value.trim(), en: $('ae-label-en').value.trim() };
  const folder = $('ae-folder').value.trim();
  const body = { key: $('ae-key').value.trim(), type, labels, required: $('ae-required').checked };
  if (!check(body)) { form.querySelector('[aria-invalid="true"], .c-value')?.focus(); return; }
  const dflt = defaultField?.read() ?? null;
  try {
    if (!editing) {
      const create = { ...body, default: dflt };
      if (hasChoices(type)) create.choices = choices();
      if (folder && folder !== '/') create.folder = folder;
      await api('POST', '/api/v1/attributes', create);
      toast(t('js.schema.created', { label: label(body) }));
    } else {
      const change = { labels, required: body.required, default: dflt, folder: folder && folder !== '/' ? folder : null };
      if (type !== editing.type) change.type = type;
      if (hasChoices(type)) change.choices = choices();
      const rn = renames();
      if (Object.keys(rn).length) change.rename_choices = rn;
      await api('PATCH', `/api/v1/attributes/${encodeURIComponent(editing.key)}`, change);
      toast(t('js.schema.saved', { label: label(body) }));
    }
    editor.hidden = true;
    const key = editing?.key ?? body.key;
    editing = null;
    await load();
    tbody.querySelector(`tr[data-key="${CSS.escape(key)}"] button`)?.focus();
  } catch (x) {
    const code = x instanceof ApiError ? x.code : 'generic';
    if (code === 'attribute_in_use' && hasChoices(type) && offerRenames()) {
      fieldError('ae-choices', t('js.schema.rename_offer', { error: errorText(code) }));
      renameRows.querySelector('select')?.focus();
    } else if (code === 'name_conflict') {
      fieldError('ae-key', t('js.schema.key_taken'));
      $('ae-key').focus();
    } else if (code === 'invalid_attribute' && /default|expects|is not a date|not one of its choices/.test(x.detail)) {
      defaultField?.error(t('js.schema.default_invalid'));
    } else if (code === 'invalid_attribute' && /label/.test(x.detail)) {
      fieldError('ae-label-ja', t('js.schema.label_missing'));
    } else if (code === 'invalid_attribute' && /choice/.test(x.detail)) {
      fieldError('ae-choices', t('js.schema.choice_incomplete'));
    } else if (code === 'not_found' || code === 'parent_not_found' || code === 'invalid_path') {
      $('ae-error').textContent = t('js.schema.folder_missing');
      $('ae-error').hidden = false;
    } else {
      $('ae-error').textContent = x instanceof ApiError ? x.message : t('error.generic');
      $('ae-error').hidden = false;
    }
  }
});

$('ae-cancel').addEventListener('click', close);
$('ae-new').addEventListener('click', () => open(null));
editor.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });

tbody.addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-op]');
  if (!b) return;
  const a = attrs.find((x) => x.key === b.closest('tr').dataset.key);
  if (!a) return;
  if (b.dataset.op === 'edit') { open(a); return; }
  if (!(await confirmBox(t('js.schema.archive_title'), t('js.schema.archive_text', { label: label(a) })))) { b.focus(); return; }
  try {
    await api('DELETE', `/api/v1/attributes/${encodeURIComponent(a.key)}`);
    toast(t('js.schema.archived_done', { label: label(a) }));
    await load();
  } catch (x) {
    toast(x instanceof ApiError ? x.message : t('error.generic'), 'error');
  }
});

load().catch((x) => toast(x instanceof ApiError ? x.message : t('error.generic'), 'error'));
