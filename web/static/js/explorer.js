// The explorer: selection, keyboard, toolbar and context menu, drag and drop
// uploads, the details panel. Changes go through the JSON API (the same
// service calls as every other client); the listing is refreshed from the
// server (htmx) afterwards. Names are only ever set with textContent.

import { ApiError, api, encodePath, joinPath, parentOf } from './api.js';
import { toast } from './app.js';
import { askConflict, askName, confirmBox, pickFolder } from './dialogs.js';
import { initAttrPanel } from './attr-panel.js';
import { bulkEdit } from './bulk-edit.js';
import { lang, t } from './i18n.js';
import { Selection } from './selection.js';
import { openPreview } from './preview.js';
import { initThumbs } from './thumbs.js';
import { initTree } from './tree.js';
import { UploadQueue, droppedFiles } from './upload.js';
import { initUploadPanel } from './upload-panel.js';

const root = document.getElementById('explorer');
const here = root.dataset.path;
const icons = root.dataset.icons;
const list = document.getElementById('list');
const rowsEl = document.getElementById('rows');
const menu = document.getElementById('ctx');
const details = document.getElementById('details');
const sel = new Selection(list, rowsEl);
let zipAvailable = false;

// --- state of the toolbar -------------------------------------------------

function refreshButtons() {
  const s = sel.selected();
  const info = document.getElementById('selinfo');
  info.textContent = s.length ? t('js.selected', { n: s.length }) : '';
  const multi = s.length > 1 || s.some((r) => r.dataset.kind === 'folder');
  for (const b of document.querySelectorAll('[data-needs]')) {
    const needs = b.dataset.needs;
    let ok = needs === 'one' ? s.length === 1 : s.length > 0;
    if (needs === 'file') ok = s.length === 1 && s[0].dataset.kind === 'file';
    if (b.dataset.action === 'download' && multi && !zipAvailable) ok = false;
    b.disabled = !ok;
    if (b.dataset.action === 'download') b.hidden = multi && !zipAvailable;
  }
}
sel.addEventListener('change', refreshButtons);

// --- listing --------------------------------------------------------------

/** Reloads the first page of the folder; keeps focus on `focusPath` if given. */
async function reload(focusPath) {
  await window.htmx.ajax('GET', root.dataset.listUrl, { target: rowsEl, swap: 'innerHTML' });
  document.getElementById('empty')?.remove();
  sel.anchor = null;
  sel.changed();
  const row = focusPath && sel.rows().find((r) => r.dataset.path === focusPath);
  if (row) { sel.only(row); sel.focus(row); } else list.focus();
}

/** Opens a folder, or previews a file (Enter, double-click). */
function open(row) {
  if (!row) return;
  if (row.dataset.kind === 'folder') window.location.assign(row.dataset.href);
  else openPreview(row);
}

function goUp() {
  if (here === '/') return;
  const up = parentOf(here);
  window.location.assign(`/ui/files${up === '/' ? '/' : encodePath(up)}`);
}

// --- actions --------------------------------------------------------------

function fail(e) {
  toast(e instanceof ApiError ? e.message : t('error.generic'), 'error');
}

function checkName(name) {
  if (name === '.' || name === '..' || name.includes('/') || /[\u0000-\u001f\u007f]/.test(name)) return t('error.invalid_name');
  return null;
}

async function newFolder() {
  const name = await askName(t('js.new_folder_title'), t('js.new_folder_default'), checkName);
  if (!name) return;
  const path = joinPath(here, name);
  try {
    await api('POST', `/api/v1/folders${encodePath(path)}`);
    toast(t('js.created', { name }));
    await reload(path);
  } catch (e) { fail(e); }
}

async function rename() {
  const [row] = sel.selected();
  if (!row) return;
  const old = row.dataset.name;
  const name = await askName(t('js.rename_title'), old, checkName);
  if (!name || name === old) { sel.focus(row); return; }
  const to = joinPath(here, name);
  try {
    await api('POST', '/api/v1/move', { from: row.dataset.path, to });
    toast(t('js.renamed', { name }));
    await reload(to);
  } catch (e) { fail(e); sel.focus(row); }
}

async function moveOrCopy(kind) {
  const rows = sel.selected();
  if (!rows.length) return;
  const what = rows.length === 1 ? rows[0].dataset.name : t('js.n_items', { n: rows.length });
  const folders = rows.filter((r) => r.dataset.kind === 'folder').map((r) => r.dataset.path);
  const dest = await pickFolder(t(kind === 'move' ? 'js.move_title' : 'js.copy_title'), what, icons, kind === 'move' ? folders : []);
  if (dest === null) return;
  let done = 0;
  for (const r of rows) {
    try {
      await api('POST', `/api/v1/${kind}`, { from: r.dataset.path, to: joinPath(dest, r.dataset.name) });
      done += 1;
    } catch (e) { fail(e); }
  }
  if (done) toast(t(kind === 'move' ? 'js.moved' : 'js.copied', { n: done }));
  await reload();
}

async function remove() {
  const rows = sel.selected();
  if (!rows.length) return;
  const what = rows.length === 1 ? rows[0].dataset.name : t('js.n_items', { n: rows.length });
  if (!(await confirmBox(t('js.delete_title'), t('js.delete_text', { what })))) { sel.focus(rows[0]); return; }
  let done = 0;
  for (const r of rows) {
    const base = r.dataset.kind === 'folder' ? '/api/v1/folders' : '/api/v1/files';
    try { await api('DELETE', `${base}${encodePath(r.dataset.path)}`); done += 1; } catch (e) { fail(e); }
  }
  if (done) toast(t('js.deleted', { n: done }));
  await reload();
}

function saveAs(url) {
  const a = document.createElement('a');
  a.href = url;
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
}

async function download(rows = sel.selected()) {
  if (!rows.length) return;
  if (rows.length === 1 && rows[0].dataset.kind === 'file') { saveAs(rows[0].dataset.href); return; }
  if (!zipAvailable) return;
  // Windows' built-in ZIP reader expects Shift_JIS names on Japanese systems.
  const cp932 = lang === 'ja' && /Windows/.test(navigator.userAgent);
  try {
    // The archive is named after the folder it was made in (as desktop
    // file managers do); the server falls back to download.zip at the top.
    const name = here === '/' ? undefined : here.replace(/\/$/, '').split('/').pop();
    const r = await api('POST', '/api/v1/zip', { paths: rows.map((x) => x.dataset.path), name, name_encoding: cp932 ? 'cp932' : 'utf8' });
    if (r?.url) saveAs(r.url);
  } catch (e) { fail(e); }
}

async function showDetails(row = sel.selected()[0]) {
  if (!row) return;
  await window.htmx.ajax('GET', `/ui/details${encodePath(row.dataset.path)}`, { target: details, swap: 'innerHTML' });
  initAttrPanel(details.querySelector('#attr-panel'));
  details.hidden = false;
  root.classList.add('with-details');
  document.querySelector('.toolbar [data-action="details"]')?.setAttribute('aria-pressed', 'true');
}

function closeDetails() {
  details.hidden = true;
  root.classList.remove('with-details');
  document.querySelector('.toolbar [data-action="details"]')?.setAttribute('aria-pressed', 'false');
  (sel.focused() || list).focus();
}

async function restoreVersion(btn) {
  try {
    await api('POST', `/api/v1/versions${encodePath(btn.dataset.path)}`, { restore: Number(btn.dataset.version) });
    toast(t('js.version_restored'));
    await reload(btn.dataset.path);
    await showDetails(sel.rows().find((r) => r.dataset.path === btn.dataset.path));
  } catch (e) { fail(e); }
}

async function editAttributes() {
  const rows = sel.selected();
  if (!(await bulkEdit(rows.map((r) => r.dataset.path)))) { sel.focus(rows[0]); return; }
  const open = !details.hidden && sel.selected().length === 1 ? sel.selected()[0] : null;
  if (open) await showDetails(open);
  sel.focus(rows[0]);
}

function setView(view) {
  list.classList.toggle('view-grid', view === 'grid');
  list.classList.toggle('view-list', view !== 'grid');
  for (const b of document.querySelectorAll('[data-view]')) b.setAttribute('aria-pressed', String(b.dataset.view === view));
  try { localStorage.setItem('kura.view', view); } catch { /* private mode */ }
}

const actions = {
  'new-folder': newFolder,
  'upload-files': () => document.getElementById('pick-files').click(),
  'upload-folder': () => document.getElementById('pick-folder').click(),
  download: () => download(),
  rename,
  move: () => moveOrCopy('move'),
  copy: () => moveOrCopy('copy'),
  delete: remove,
  details: () => (details.hidden ? showDetails() : closeDetails()),
  open: () => open(sel.selected()[0]),
  preview: () => { const [row] = sel.selected(); if (row?.dataset.kind === 'file') openPreview(row); },
  'close-details': closeDetails,
  'edit-attributes': editAttributes,
};

document.addEventListener('click', (e) => {
  const b = e.target.closest('[data-action]');
  if (b && !b.disabled) {
    hideMenu();
    if (b.dataset.action === 'restore-version') { restoreVersion(b); return; }
    const fn = actions[b.dataset.action];
    if (fn) { e.preventDefault(); fn(); }
    return;
  }
  const v = e.target.closest('[data-view]');
  if (v) setView(v.dataset.view);
  if (!e.target.closest('#ctx')) hideMenu();
});

// --- mouse on the listing -------------------------------------------------

rowsEl.addEventListener('click', (e) => {
  const row = e.target.closest('.row');
  if (row) sel.click(row, e);
});
rowsEl.addEventListener('dblclick', (e) => open(e.target.closest('.row')));
list.addEventListener('click', (e) => { if (!e.target.closest('.row') && !e.target.closest('.more')) sel.clear(); });

// --- context menu ---------------------------------------------------------

function showMenu(x, y) {
  menu.hidden = false;
  const w = menu.offsetWidth; const h = menu.offsetHeight;
  menu.style.left = `${Math.min(x, window.innerWidth - w - 8)}px`;
  menu.style.top = `${Math.min(y, window.innerHeight - h - 8)}px`;
  menu.querySelector('button:not([disabled]):not([hidden])')?.focus();
}
function hideMenu() {
  if (menu.hidden) return;
  menu.hidden = true;
}
list.addEventListener('contextmenu', (e) => {
  const row = e.target.closest('.row');
  if (row && row.getAttribute('aria-selected') !== 'true') sel.only(row);
  if (!row) sel.clear();
  if (row) sel.focus(row, false);
  e.preventDefault();
  showMenu(e.clientX, e.clientY);
});
menu.addEventListener('keydown', (e) => {
  const items = Array.from(menu.querySelectorAll('button:not([disabled]):not([hidden])'));
  const i = items.indexOf(document.activeElement);
  if (e.key === 'ArrowDown') { e.preventDefault(); items[(i + 1) % items.length]?.focus(); }
  else if (e.key === 'ArrowUp') { e.preventDefault(); items[(i - 1 + items.length) % items.length]?.focus(); }
  else if (e.key === 'Escape' || e.key === 'Tab') { e.preventDefault(); hideMenu(); (sel.focused() || list).focus(); }
});

// --- keyboard -------------------------------------------------------------

list.addEventListener('focus', (e) => {
  if (e.target !== list) return;
  const row = sel.focused() || sel.selected()[0] || sel.rows()[0];
  if (row) sel.focus(row);
});

list.addEventListener('keydown', (e) => {
  if (e.target.closest('.more')) return;
  const mod = e.ctrlKey || e.metaKey;
  const grid = list.classList.contains('view-grid');
  const cols = grid ? sel.columns() : 1;
  let target = null;
  switch (e.key) {
    case 'ArrowDown': target = sel.step(cols); break;
    case 'ArrowUp': target = sel.step(-cols); break;
    case 'ArrowRight': if (grid) target = sel.step(1); break;
    case 'ArrowLeft': if (grid) target = sel.step(-1); break;
    case 'Home': target = sel.rows()[0]; break;
    case 'End': target = sel.rows().at(-1); break;
    case 'PageDown': target = sel.step(cols * 10); break;
    case 'PageUp': target = sel.step(-cols * 10); break;
    case 'Enter': e.preventDefault(); open(sel.focused()); return;
    case 'F2': e.preventDefault(); if (sel.selected().length === 1) rename(); return;
    case 'Delete': e.preventDefault(); remove(); return;
    case 'Backspace': e.preventDefault(); goUp(); return;
    case 'Escape': sel.clear(); return;
    case ' ':
      e.preventDefault();
      if (sel.focused()) { if (mod) sel.toggle(sel.focused()); else sel.only(sel.focused()); }
      return;
    case 'ContextMenu': {
      e.preventDefault();
      const r = (sel.focused() || list).getBoundingClientRect();
      showMenu(r.left + 24, r.top + r.height / 2);
      return;
    }
    default:
      if (mod && (e.key === 'a' || e.key === 'A')) { e.preventDefault(); sel.all(); return; }
      if (e.shiftKey && e.key === 'F10') { e.preventDefault(); const r = (sel.focused() || list).getBoundingClientRect(); showMenu(r.left + 24, r.top + r.height / 2); }
      return;
  }
  if (!target) return;
  e.preventDefault();
  if (e.shiftKey) sel.range(target);
  else if (!mod) sel.only(target);
  sel.focus(target);
});

// --- uploads --------------------------------------------------------------

const queue = new UploadQueue({ askConflict });
initUploadPanel(queue, document.getElementById('uploads'));
let reloadTimer;
queue.addEventListener('change', (e) => {
  if (e.detail?.state === 'done') {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => reload(), 400);
  }
});

function enqueue(files, folder) {
  queue.add(files.map(({ file, rel }) => ({ file, path: joinPath(folder, rel) })));
}

document.getElementById('pick-files').addEventListener('change', (e) => {
  enqueue(Array.from(e.target.files).map((file) => ({ file, rel: file.name })), here);
  e.target.value = '';
});
document.getElementById('pick-folder').addEventListener('change', (e) => {
  enqueue(Array.from(e.target.files).map((file) => ({ file, rel: file.webkitRelativePath || file.name })), here);
  e.target.value = '';
});

const overlay = document.getElementById('drop-overlay');
let dragDepth = 0;
const hasFiles = (e) => Array.from(e.dataTransfer?.types || []).includes('Files');
window.addEventListener('dragenter', (e) => {
  if (!hasFiles(e)) return;
  dragDepth += 1;
  overlay.hidden = false;
});
window.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) overlay.hidden = true;
});
window.addEventListener('dragover', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  for (const r of rowsEl.querySelectorAll('.row.drop-target')) r.classList.remove('drop-target');
  e.target.closest?.('.row[data-kind="folder"]')?.classList.add('drop-target');
});
window.addEventListener('drop', async (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  dragDepth = 0;
  overlay.hidden = true;
  const folderRow = e.target.closest?.('.row[data-kind="folder"]');
  folderRow?.classList.remove('drop-target');
  const folder = folderRow ? folderRow.dataset.path : here;
  const files = await droppedFiles(e.dataTransfer);
  if (files.length) enqueue(files, folder);
});

// --- start ----------------------------------------------------------------

let view = 'list';
try { view = localStorage.getItem('kura.view') || 'list'; } catch { /* private mode */ }
setView(view);
initTree(document.getElementById('tree'));
// The header's search box searches this folder (the search page offers everywhere too).
const hdrFolder = document.getElementById('hdr-folder');
if (hdrFolder) hdrFolder.value = here;
initThumbs(rowsEl);
initThumbs(details);
refreshButtons();
fetch('/api/v1/zip', { method: 'GET', credentials: 'same-origin' })
  .then((r) => { zipAvailable = r.status !== 404; refreshButtons(); })
  .catch(() => {});
// Expose the queue to tests and to a later tus transport.
window.kuraUploads = queue;
