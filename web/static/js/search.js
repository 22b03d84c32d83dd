// The search page: the form is turned into a request for POST
// /api/v1/search (the server folds case and full-/half-width, checks every
// filter against the schema and counts the facets); results are listed like
// the explorer with "load more" cursor paging, and facet counts are buttons
// that add or remove the filter. The current search lives in the URL
// (?q=<request JSON>) so a reload shows it again; saved searches are kept
// with /api/v1/saved-searches.

import { ApiError, api, encodePath, parentOf } from './api.js';
import { toast } from './app.js';
import { choiceLabel, el, formatValue, label, loadSchema } from './attrs.js';
import { confirmBox } from './dialogs.js';
import { formatDate, formatNumber, formatSize, t } from './i18n.js';

const PAGE = 50;
const MB = 1024 * 1024;
const $ = (id) => document.getElementById(id);
const page = $('search-page');
const form = $('search-form');
const tbody = $('s-results').querySelector('tbody');
let defs = [];
/** Per attribute: { def, el, read() -> filter|null, apply(filter|null) }. */
let filterUis = [];
let next = null;
let last = null;

// --- attribute filters -----------------------------------------------------

function input(type, id, aria) {
  const i = el('input', { type, id, autocomplete: 'off' });
  if (type === 'number') i.step = 'any';
  if (aria) i.setAttribute('aria-label', aria);
  return i;
}

function rangeUi(def, type) {
  const lo = input(type, `f-${def.key}-lo`, t('js.search.from_named', { label: label(def) }));
  const hi = input(type, `f-${def.key}-hi`, t('js.search.to_named', { label: label(def) }));
  const val = (i) => (type === 'number' ? Number(i.value) : i.value);
  return {
    parts: [el('div', { class: type === 'date' ? 'range dates' : 'range' }, lo, el('span', { 'aria-hidden': 'true', text: '–' }), hi)],
    read() {
      const a = lo.value.trim(); const b = hi.value.trim();
      if (a && b) return { key: def.key, op: 'between', value: [val(lo), val(hi)] };
      if (a) return { key: def.key, op: 'gte', value: val(lo) };
      if (b) return { key: def.key, op: 'lte', value: val(hi) };
      return null;
    },
    apply(f) {
      lo.value = ''; hi.value = '';
      if (!f) return;
      if (f.op === 'between' && Array.isArray(f.value)) { lo.value = f.value[0] ?? ''; hi.value = f.value[1] ?? ''; }
      else if (f.op === 'gte' || f.op === 'gt') lo.value = f.value;
      else if (f.op === 'lte' || f.op === 'lt') hi.value = f.value;
      else if (f.op === 'eq') { lo.value = f.value; hi.value = f.value; }
    },
  };
}

function choiceUi(def) {
  const boxes = (def.choices || []).map((c, i) => {
    const b = el('input', { type: 'checkbox', id: `f-${def.key}-${i}`, value: c.value });
    return b;
  });
  const parts = [el('div', { class: 'checks' }, ...boxes.map((b) => el('label', { class: 'check', for: b.id }, b, el('span', { text: choiceLabel(def, b.value) }))))];
  let mode = null;
  if (def.type === 'multi_choice') {
    mode = el('select', { id: `f-${def.key}-mode` });
    mode.setAttribute('aria-label', t('js.search.match_named', { label: label(def) }));
    mode.append(el('option', { value: 'any', text: t('js.search.any_of') }), el('option', { value: 'all', text: t('js.search.all_of') }));
    parts.unshift(mode);
  }
  return {
    parts,
    boxes,
    read() {
      const v = boxes.filter((b) => b.checked).map((b) => b.value);
      return v.length ? { key: def.key, op: mode ? mode.value : 'any', value: v } : null;
    },
    apply(f) {
      const on = new Set(f ? (Array.isArray(f.value) ? f.value : [f.value]) : []);
      for (const b of boxes) b.checked = on.has(b.value);
      if (mode) mode.value = f?.op === 'all' ? 'all' : 'any';
    },
  };
}

function filterUi(def) {
  let ui;
  if (def.type === 'number' || def.type === 'date') ui = rangeUi(def, def.type);
  else if (def.type === 'choice' || def.type === 'multi_choice') ui = choiceUi(def);
  else if (def.type === 'boolean') {
    const s = el('select', { id: `f-${def.key}` });
    s.setAttribute('aria-label', label(def));
    s.append(el('option', { value: '', text: t('js.search.either') }), el('option', { value: 'true', text: t('js.attr.yes') }), el('option', { value: 'false', text: t('js.attr.no') }));
    ui = {
      parts: [s],
      read: () => (s.value ? { key: def.key, op: 'eq', value: s.value === 'true' } : null),
      apply(f) { s.value = f ? String(f.value === true) : ''; },
    };
  } else {
    const op = el('select', { id: `f-${def.key}-op` });
    op.setAttribute('aria-label', t('js.search.match_named', { label: label(def) }));
    op.append(el('option', { value: 'contains', text: t('js.search.contains') }), el('option', { value: 'eq', text: t('js.search.equals') }));
    const i = input('text', `f-${def.key}`, label(def));
    ui = {
      parts: [el('div', { class: 'range' }, op, i)],
      read: () => (i.value.trim() ? { key: def.key, op: op.value, value: i.value.trim() } : null),
      apply(f) { i.value = f ? String(f.value) : ''; op.value = f?.op === 'eq' ? 'eq' : 'contains'; },
    };
  }
  const fs = el('fieldset', { class: 'group' }, el('legend', { text: label(def) }), ...ui.parts);
  fs.dataset.key = def.key;
  return { def, el: fs, ...ui };
}

// --- the request -----------------------------------------------------------

function dayAfter(s) {
  const d = new Date(`${s}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
function dayBefore(s) {
  const d = new Date(`${s.slice(0, 10)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

function facetKeys() {
  return ['content_type', ...defs.filter((d) => d.type === 'choice' || d.type === 'multi_choice').map((d) => d.key)];
}

/** The search the form describes (without paging). */
function request() {
  const r = { filters: [] };
  const name = $('s-name').value.trim();
  if (name) r.name = name;
  if ($('s-scope-folder').checked && page.dataset.folder) r.folder = page.dataset.folder;
  const type = $('s-type').value;
  if (type) r.content_types = [type];
  const num = (id) => { const v = $(id).value.trim(); return v === '' ? null : Number(v); };
  const smin = num('s-size-min'); const smax = num('s-size-max');
  if (smin !== null && Number.isFinite(smin)) r.size_min = Math.round(smin * MB);
  if (smax !== null && Number.isFinite(smax)) r.size_max = Math.round(smax * MB);
  if ($('s-mod-from').value) r.modified_after = $('s-mod-from').value;
  // The form's "to" day is inclusive; the API's modified_before is not.
  if ($('s-mod-to').value) r.modified_before = dayAfter($('s-mod-to').value);
  for (const u of filterUis) { const f = u.read(); if (f) r.filters.push(f); }
  const key = $('s-sort').value; const order = $('s-order').value;
  if (key !== 'name' || order !== 'asc') r.sort = { key, order };
  return r;
}

/** Fills the form from a request (a saved search, the URL). */
function applyRequest(r) {
  $('s-name').value = r.name || '';
  if (r.folder && r.folder !== '/') page.dataset.folder = r.folder;
  showScope(!!(r.folder && r.folder !== '/'));
  const type = (r.content_types || [])[0] || '';
  setType(type);
  $('s-size-min').value = r.size_min != null ? String(r.size_min / MB) : '';
  $('s-size-max').value = r.size_max != null ? String(r.size_max / MB) : '';
  $('s-mod-from').value = r.modified_after ? r.modified_after.slice(0, 10) : '';
  $('s-mod-to').value = r.modified_before ? dayBefore(r.modified_before) : '';
  for (const u of filterUis) u.apply((r.filters || []).find((f) => f.key === u.def.key) || null);
  $('s-sort').value = r.sort?.key || 'name';
  if (!$('s-sort').value) $('s-sort').value = 'name';
  $('s-order').value = r.sort?.order === 'desc' ? 'desc' : 'asc';
}

function setType(type) {
  const s = $('s-type');
  if (type && !Array.from(s.options).some((o) => o.value === type)) s.append(el('option', { value: type, text: type }));
  s.value = type;
}

function showScope(inFolder) {
  const f = page.dataset.folder;
  $('s-scope-folder-label').hidden = !f;
  $('s-folder-name').textContent = f || '';
  $('s-scope-folder').checked = !!f && inFolder;
  $('s-scope-all').checked = !($('s-scope-folder').checked);
}

// --- results ---------------------------------------------------------------

function resultRow(item) {
  const folder = parentOf(item.path);
  const name = el('a', { href: `/api/v1/files${encodePath(item.path)}`, class: 'name', text: item.name });
  name.setAttribute('download', '');
  const where = el('a', { href: `/ui/files${folder === '/' ? '/' : encodePath(folder)}`, class: 'path', text: folder });
  const time = el('time', { datetime: item.modified, text: formatDate(item.modified) });
  time.dataset.local = '';
  const chips = el('div', { class: 'chips' });
  for (const d of defs) {
    const v = item.attributes?.[d.key];
    if (v === undefined || v === null) continue;
    chips.append(el('span', { class: 'chip' }, el('span', { class: 'chip-k', text: label(d) }), el('span', { text: formatValue(d, v) })));
  }
  const tr = el('tr', {},
    el('td', { class: 'r-name' }, name),
    el('td', {}, where),
    el('td', { class: 'num', text: formatSize(item.size) }),
    el('td', {}, time),
    el('td', {}, chips));
  tr.dataset.path = item.path;
  return tr;
}

function facetButton(key, value, text, n, active) {
  // The accessible name is the visible text plus a hidden unit ("12 files"),
  // so what a speech user reads off the screen also names the button.
  const b = el('button', { type: 'button', class: 'facet' }, el('span', { text }), ' ',
    el('span', { class: 'count', text: formatNumber(n) }), el('span', { class: 'visually-hidden', text: ` ${t('js.search.files_unit')}` }));
  b.dataset.key = key;
  b.dataset.value = value;
  b.setAttribute('aria-pressed', String(active));
  return b;
}

function showFacets(facets, r) {
  const groups = [];
  const types = facets?.content_type;
  const activeType = (r.content_types || [])[0] || '';
  if (types && Object.keys(types).length) {
    groups.push(el('div', { class: 'facet-group' }, el('span', { class: 'facet-h', text: t('js.search.facet_type') }),
      ...Object.entries(types).map(([v, n]) => facetButton('content_type', v, v || t('js.search.unknown_type'), n, v === activeType))));
  }
  for (const d of defs) {
    const counts = facets?.[d.key];
    if (!counts) continue;
    const active = new Set((r.filters || []).filter((f) => f.key === d.key).flatMap((f) => (Array.isArray(f.value) ? f.value : [f.value])));
    const buttons = (d.choices || []).filter((c) => counts[c.value] || active.has(c.value))
      .map((c) => facetButton(d.key, c.value, label(c), counts[c.value] || 0, active.has(c.value)));
    if (buttons.length) groups.push(el('div', { class: 'facet-group' }, el('span', { class: 'facet-h', text: label(d) }), ...buttons));
  }
  $('s-facets').replaceChildren(...groups);
  $('s-facets').hidden = !groups.length;
}

async function run({ more = false, keepUrl = false } = {}) {
  $('s-error').hidden = true;
  const r = more ? last : request();
  const body = { ...r, limit: PAGE, facets: more ? [] : facetKeys() };
  if (more && next) body.cursor = next;
  let res;
  try {
    res = await api('POST', '/api/v1/search', body);
  } catch (x) {
    const text = x instanceof ApiError ? x.message : t('error.generic');
    const d = x instanceof ApiError && x.attribute && defs.find((y) => y.key === x.attribute);
    $('s-error').textContent = d ? t('js.search.bad_filter', { label: label(d), text }) : text;
    $('s-error').hidden = false;
    return;
  }
  if (!more) {
    last = r;
    tbody.replaceChildren();
    $('s-total').textContent = t('js.search.total', { n: formatNumber(res.total ?? 0) });
    showFacets(res.facets, r);
    if (!keepUrl) {
      history.replaceState(null, '', `/ui/search?q=${encodeURIComponent(JSON.stringify(r))}`);
      // A language switch comes back to this search, not the first one.
      const back = encodeURIComponent(window.location.pathname + window.location.search);
      for (const a of document.querySelectorAll('.langs a[hreflang]')) a.href = `/ui/lang/${a.hreflang}?back=${back}`;
    }
  }
  tbody.append(...(res.items || []).map(resultRow));
  next = res.next_cursor || null;
  $('s-more').hidden = !next;
  $('s-empty').hidden = tbody.children.length > 0;
  $('s-results').hidden = tbody.children.length === 0;
}

// --- saved searches --------------------------------------------------------

let saved = [];
async function loadSaved() {
  const r = await api('GET', '/api/v1/saved-searches');
  saved = r.items || [];
  $('saved-list').replaceChildren(...saved.map((s) => {
    const runB = el('button', { type: 'button', class: 'linklike', text: s.name });
    runB.dataset.op = 'run';
    runB.setAttribute('aria-label', t('js.saved.run_named', { name: s.name }));
    const li = el('li', {}, runB);
    li.dataset.id = String(s.id);
    if (s.shared) li.append(el('span', { class: 'badge', text: t('js.saved.shared') }));
    if (s.mine) {
      const del = el('button', { type: 'button', class: 'btn small icon-only danger', text: '×' });
      del.dataset.op = 'delete';
      del.setAttribute('aria-label', t('js.saved.delete_named', { name: s.name }));
      del.title = t('js.saved.delete_named', { name: s.name });
      li.append(del);
    }
    return li;
  }));
  $('saved-empty').hidden = saved.length > 0;
}

$('saved-list').addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-op]');
  if (!b) return;
  const s = saved.find((x) => String(x.id) === b.closest('li').dataset.id);
  if (!s) return;
  if (b.dataset.op === 'run') {
    applyRequest(s.query || {});
    await run();
    return;
  }
  if (!(await confirmBox(t('js.saved.delete_title'), t('js.saved.delete_text', { name: s.name })))) { b.focus(); return; }
  try {
    await api('DELETE', `/api/v1/saved-searches/${s.id}`);
    toast(t('js.saved.deleted', { name: s.name }));
    await loadSaved();
    $('save-name').focus();
  } catch (x) { toast(x instanceof ApiError ? x.message : t('error.generic'), 'error'); }
});

$('save-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = $('save-err');
  err.hidden = true;
  const name = $('save-name').value.trim();
  if (!name) { err.textContent = t('js.name_empty'); err.hidden = false; $('save-name').focus(); return; }
  try {
    await api('POST', '/api/v1/saved-searches', { name, query: request(), shared: !!$('save-shared')?.checked });
    toast(t('js.saved.saved', { name }));
    $('save-name').value = '';
    await loadSaved();
  } catch (x) {
    err.textContent = x instanceof ApiError ? x.message : t('error.generic');
    err.hidden = false;
  }
});

// --- wiring ----------------------------------------------------------------

form.addEventListener('submit', (e) => { e.preventDefault(); run(); });
$('s-sort').addEventListener('change', () => run());
$('s-order').addEventListener('change', () => run());
$('s-more').addEventListener('click', () => run({ more: true }));
$('s-clear').addEventListener('click', () => { applyRequest({}); run(); $('s-name').focus(); });
$('s-facets').addEventListener('click', (e) => {
  const b = e.target.closest('button.facet');
  if (!b) return;
  const on = b.getAttribute('aria-pressed') !== 'true';
  if (b.dataset.key === 'content_type') setType(on ? b.dataset.value : '');
  else {
    const u = filterUis.find((x) => x.def.key === b.dataset.key);
    const box = u?.boxes?.find((x) => x.value === b.dataset.value);
    if (box) box.checked = on;
  }
  const focusKey = [b.dataset.key, b.dataset.value];
  run().then(() => {
    const again = Array.from($('s-facets').querySelectorAll('button.facet')).find((x) => x.dataset.key === focusKey[0] && x.dataset.value === focusKey[1]);
    (again || $('s-facets')).focus();
  });
});

async function start() {
  try { defs = await loadSchema(); } catch { defs = []; }
  filterUis = defs.map(filterUi);
  $('s-attrs').replaceChildren(...filterUis.map((u) => u.el));
  for (const d of defs) $('s-sort').append(el('option', { value: d.key, text: label(d) }));
  const q = new URLSearchParams(window.location.search).get('q');
  let initial = null;
  if (q) { try { initial = JSON.parse(q); } catch { initial = null; } }
  if (initial && typeof initial === 'object') applyRequest(initial);
  else showScope(!!page.dataset.folder);
  loadSaved().catch(() => {});
  await run({ keepUrl: !q && !page.dataset.name });
  page.dataset.ready = '1';
}
start();
