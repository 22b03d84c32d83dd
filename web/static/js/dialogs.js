// Modal questions on <dialog> elements of the page: a name, a yes/no, a
// folder, and the upload name-conflict question. Every text is set with
// textContent; names from the server are never parsed as HTML.

import { api, encodePath, joinPath } from './api.js';
import { t } from './i18n.js';

function wire(dlg) {
  for (const b of dlg.querySelectorAll('[data-close]')) {
    b.addEventListener('click', () => dlg.close('cancel'));
  }
}
for (const d of document.querySelectorAll('dialog')) wire(d);

function closed(dlg) {
  return new Promise((resolve) => dlg.addEventListener('close', () => resolve(dlg.returnValue), { once: true }));
}

/** Asks for a name; `validate(name)` may return an error text (or a promise of one). */
export async function askName(title, initial = '', validate = null) {
  const dlg = document.getElementById('dlg-name');
  const input = document.getElementById('dlg-name-input');
  const err = document.getElementById('dlg-name-error');
  document.getElementById('dlg-name-h').textContent = title;
  input.value = initial;
  err.hidden = true;
  dlg.returnValue = '';
  dlg.showModal();
  input.focus();
  const dot = initial.lastIndexOf('.');
  input.setSelectionRange(0, dot > 0 ? dot : initial.length);
  for (;;) {
    const v = await closed(dlg);
    if (v !== 'ok') return null;
    const name = input.value.trim();
    const problem = !name ? t('js.name_empty') : (validate ? await validate(name) : null);
    if (!problem) return name;
    err.textContent = problem;
    err.hidden = false;
    dlg.returnValue = '';
    dlg.showModal();
    input.focus();
  }
}

export async function confirmBox(title, text) {
  const dlg = document.getElementById('dlg-confirm');
  document.getElementById('dlg-confirm-h').textContent = title;
  document.getElementById('dlg-confirm-text').textContent = text;
  dlg.returnValue = '';
  dlg.showModal();
  dlg.querySelector('button[value="ok"]').focus();
  return (await closed(dlg)) === 'ok';
}

/** The name-conflict question: `{choice: 'replace'|'keep'|'skip', all: bool}`. */
export async function askConflict(name) {
  const dlg = document.getElementById('dlg-conflict');
  document.getElementById('dlg-conflict-text').textContent = t('js.conflict_text', { name });
  const all = document.getElementById('dlg-conflict-all');
  all.checked = false;
  dlg.returnValue = '';
  dlg.showModal();
  dlg.querySelector('button[value="replace"]').focus();
  const v = await closed(dlg);
  return { choice: ['replace', 'keep', 'skip'].includes(v) ? v : 'skip', all: all.checked };
}

function treeRow(path, name, icons) {
  const li = document.createElement('li');
  li.dataset.path = path;
  const row = document.createElement('span');
  row.className = 'tree-row';
  const tw = document.createElement('button');
  tw.type = 'button';
  tw.className = 'twisty';
  tw.setAttribute('aria-expanded', 'false');
  tw.setAttribute('aria-label', t('js.expand'));
  const pick = document.createElement('button');
  pick.type = 'button';
  pick.className = 'pick';
  pick.dataset.path = path;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'icon ic-folder');
  svg.setAttribute('aria-hidden', 'true');
  const use = document.createElementNS('http://www.w3.org/2000/svg', 'use');
  use.setAttribute('href', `${icons}#folder`);
  svg.append(use);
  const label = document.createElement('span');
  label.textContent = name;
  pick.append(svg, label);
  const ul = document.createElement('ul');
  ul.hidden = true;
  row.append(tw, pick);
  li.append(row, ul);
  return li;
}

async function loadChildren(li, icons) {
  const ul = li.querySelector(':scope > ul');
  const path = li.dataset.path;
  const url = `/api/v1/folders${path === '/' ? '/' : encodePath(path)}?limit=1000`;
  const page = await api('GET', url);
  ul.replaceChildren(...page.items.filter((i) => i.kind === 'folder').map((i) => treeRow(joinPath(path, i.name), i.name, icons)));
  li.dataset.loaded = '1';
  const tw = li.querySelector(':scope > .tree-row > .twisty');
  if (!ul.children.length && tw) tw.classList.add('leaf');
}

/** Lets the user pick a folder; resolves to its path, or null. */
export async function pickFolder(title, what, icons, exclude = []) {
  const dlg = document.getElementById('dlg-picker');
  const tree = document.getElementById('picker-tree');
  document.getElementById('dlg-picker-h').textContent = title;
  document.getElementById('dlg-picker-target').textContent = what;
  const root = tree.querySelector('li[data-path="/"]');
  let chosen = '/';
  const mark = (path) => {
    chosen = path;
    for (const b of tree.querySelectorAll('.pick')) b.setAttribute('aria-pressed', String(b.dataset.path === path));
  };
  const onClick = async (e) => {
    const tw = e.target.closest('.twisty');
    const pick = e.target.closest('.pick');
    if (tw) {
      const li = tw.closest('li');
      const open = tw.getAttribute('aria-expanded') === 'true';
      if (!open && !li.dataset.loaded) await loadChildren(li, icons);
      tw.setAttribute('aria-expanded', String(!open));
      li.querySelector(':scope > ul').hidden = open;
    } else if (pick) {
      if (exclude.some((x) => pick.dataset.path === x || pick.dataset.path.startsWith(`${x}/`))) return;
      mark(pick.dataset.path);
    }
  };
  tree.addEventListener('click', onClick);
  try {
    await loadChildren(root, icons);
  } catch { /* the root stays pickable */ }
  mark('/');
  dlg.returnValue = '';
  dlg.showModal();
  root.querySelector('.pick').focus();
  const v = await closed(dlg);
  tree.removeEventListener('click', onClick);
  return v === 'ok' ? chosen : null;
}
