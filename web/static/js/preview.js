// The preview viewer: images with zoom (wheel, buttons, keys) and pan (drag,
// arrow keys); PDFs in the browser's own viewer (a frame of the download URL
// shown inline); text with a size limit, always as text (textContent, never
// HTML); audio and video in the browser's native players. TIFFs, which
// browsers cannot show, are previewed through their large thumbnail.

import { encodePath } from './api.js';
import { t } from './i18n.js';

/** Bytes of a text file shown at most. */
const TEXT_LIMIT = 256 * 1024;
/** Image types browsers show by themselves. */
const BROWSER_IMAGES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/bmp'];
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-sh|toml|yaml|x-yaml)$)/;
const MIN_SCALE = 0.05;
const MAX_SCALE = 32;
const STEP = 1.25;

const dlg = document.getElementById('dlg-preview');
const stage = document.getElementById('preview-stage');
const title = document.getElementById('preview-h');
const note = document.getElementById('preview-note');
const zoomBar = document.getElementById('preview-zoom');
const scaleOut = document.getElementById('preview-scale');
const downloadLink = document.getElementById('preview-download');

/** The image being shown and its placement (translate, then scale). */
const view = { img: null, scale: 1, x: 0, y: 0, fit: 1 };
let returnFocus = null;

/** What viewer a file of this type gets. */
export function kindOf(type) {
  if (BROWSER_IMAGES.includes(type) || type === 'image/tiff') return 'image';
  if (type === 'application/pdf') return 'pdf';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  if (TEXT_TYPES.test(type)) return 'text';
  return 'none';
}

function place() {
  const { img } = view;
  if (!img) return;
  img.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
  scaleOut.value = `${Math.round(view.scale * 100)}%`;
  scaleOut.textContent = scaleOut.value;
}

function fit() {
  const { img } = view;
  if (!img || !img.naturalWidth) return;
  const w = stage.clientWidth;
  const h = stage.clientHeight;
  view.fit = Math.min(w / img.naturalWidth, h / img.naturalHeight, 1);
  view.scale = view.fit;
  view.x = (w - img.naturalWidth * view.scale) / 2;
  view.y = (h - img.naturalHeight * view.scale) / 2;
  place();
}

/** Zooms by `factor` keeping the stage point (cx, cy) where it is. */
function zoom(factor, cx = stage.clientWidth / 2, cy = stage.clientHeight / 2) {
  if (!view.img) return;
  const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const k = next / view.scale;
  view.x = cx - (cx - view.x) * k;
  view.y = cy - (cy - view.y) * k;
  view.scale = next;
  place();
}

function pan(dx, dy) {
  if (!view.img) return;
  view.x += dx;
  view.y += dy;
  place();
}

function say(text) {
  note.textContent = text;
  note.hidden = !text;
}

function showImage(src, name) {
  const img = document.createElement('img');
  img.className = 'preview-img';
  img.alt = name;
  img.draggable = false;
  img.addEventListener('load', () => { view.img = img; zoomBar.hidden = false; fit(); });
  img.addEventListener('error', () => { img.remove(); say(t('js.preview_failed')); });
  img.src = src;
  stage.append(img);
}

function showFrame(src, name) {
  const f = document.createElement('iframe');
  f.className = 'preview-frame';
  f.title = name;
  f.src = src;
  stage.append(f);
}

function showMedia(tag, src) {
  const m = document.createElement(tag);
  m.className = `preview-${tag}`;
  m.controls = true;
  m.preload = 'metadata';
  m.src = src;
  m.addEventListener('error', () => say(t('js.preview_failed')));
  stage.append(m);
}

/** The first TEXT_LIMIT bytes as text: UTF-8, else Shift_JIS (Japanese files). */
async function showText(url, size) {
  const pre = document.createElement('pre');
  pre.className = 'preview-text';
  stage.append(pre);
  try {
    const r = await fetch(url, { credentials: 'same-origin', headers: { Range: `bytes=0-${TEXT_LIMIT - 1}` } });
    if (!r.ok) throw new Error(String(r.status));
    const bytes = new Uint8Array(await r.arrayBuffer()).subarray(0, TEXT_LIMIT);
    let text;
    try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch {
      try { text = new TextDecoder('shift_jis', { fatal: true }).decode(bytes); } catch {
        text = new TextDecoder('utf-8').decode(bytes);
      }
    }
    pre.textContent = text;
    if (size > TEXT_LIMIT) say(t('js.preview_truncated', { size: '256 KiB' }));
  } catch {
    pre.remove();
    say(t('js.preview_failed'));
  }
}

/** Opens the viewer for a file row (`data-path`, `data-name`, `data-type`, `data-size`). */
export function openPreview(row) {
  const { path, name } = row.dataset;
  const type = row.dataset.type || '';
  const url = `/api/v1/files${encodePath(path)}`;
  const inline = `${url}?inline=true`;
  returnFocus = row;
  stage.replaceChildren();
  view.img = null;
  zoomBar.hidden = true;
  say('');
  title.textContent = name;
  downloadLink.href = url;
  stage.dataset.kind = kindOf(type);
  dlg.showModal();
  stage.focus();
  switch (kindOf(type)) {
    case 'image':
      showImage(type === 'image/tiff' ? `/api/v1/thumbnails${encodePath(path)}?size=1024` : inline, name);
      break;
    case 'pdf': showFrame(inline, name); break;
    case 'audio': showMedia('audio', inline); break;
    case 'video': showMedia('video', inline); break;
    case 'text': showText(url, Number(row.dataset.size || 0)); break;
    default: say(t('js.preview_none'));
  }
}

// --- input ----------------------------------------------------------------

stage.addEventListener('wheel', (e) => {
  if (!view.img) return;
  e.preventDefault();
  const r = stage.getBoundingClientRect();
  zoom(e.deltaY < 0 ? STEP : 1 / STEP, e.clientX - r.left, e.clientY - r.top);
}, { passive: false });

let drag = null;
stage.addEventListener('pointerdown', (e) => {
  if (!view.img || e.button !== 0) return;
  drag = { id: e.pointerId, x: e.clientX, y: e.clientY };
  stage.setPointerCapture(e.pointerId);
  stage.classList.add('dragging');
});
stage.addEventListener('pointermove', (e) => {
  if (!drag || e.pointerId !== drag.id) return;
  pan(e.clientX - drag.x, e.clientY - drag.y);
  drag.x = e.clientX;
  drag.y = e.clientY;
});
const endDrag = () => { drag = null; stage.classList.remove('dragging'); };
stage.addEventListener('pointerup', endDrag);
stage.addEventListener('pointercancel', endDrag);
stage.addEventListener('dblclick', () => { if (view.img) { if (view.scale === view.fit) zoom(2); else fit(); } });

dlg.addEventListener('keydown', (e) => {
  if (!view.img || e.target.closest('iframe, audio, video')) return;
  const keys = {
    '+': () => zoom(STEP), '=': () => zoom(STEP), '-': () => zoom(1 / STEP), 0: fit,
    ArrowLeft: () => pan(40, 0), ArrowRight: () => pan(-40, 0), ArrowUp: () => pan(0, 40), ArrowDown: () => pan(0, -40),
  };
  const fn = keys[e.key];
  if (fn) { e.preventDefault(); fn(); }
});
zoomBar.addEventListener('click', (e) => {
  const b = e.target.closest('[data-zoom]');
  if (!b) return;
  if (b.dataset.zoom === 'in') zoom(STEP);
  else if (b.dataset.zoom === 'out') zoom(1 / STEP);
  else fit();
});
document.getElementById('preview-close').addEventListener('click', () => dlg.close());
// A click on the backdrop (outside the dialog box) closes too.
dlg.addEventListener('click', (e) => { if (e.target === dlg) dlg.close(); });
dlg.addEventListener('close', () => {
  // Stops media and frees the image.
  stage.replaceChildren();
  view.img = null;
  returnFocus?.focus();
});
window.addEventListener('resize', () => { if (dlg.open && view.img) fit(); });
