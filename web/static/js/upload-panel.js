// The upload queue panel: one line per file with a progress bar, sent and
// total size, speed, time left, and Cancel / Retry. Built with DOM calls and
// textContent only (file names are data, never markup).

import { errorText, formatDuration, formatSize, t } from './i18n.js';

export function initUploadPanel(queue, panel) {
  const list = panel.querySelector('#upload-list');
  const summary = panel.querySelector('#uploads-summary');
  const lines = new Map();

  panel.querySelector('#uploads-close').addEventListener('click', () => {
    queue.clearFinished();
    if (!queue.items.length) panel.hidden = true;
  });

  const button = (label, action, id) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn small';
    b.textContent = label;
    b.addEventListener('click', () => queue[action](id));
    return b;
  };

  const line = (it) => {
    let el = lines.get(it.id);
    if (el) return el;
    el = document.createElement('li');
    el.className = 'upload';
    el.dataset.id = String(it.id);
    const name = document.createElement('span');
    name.className = 'u-name';
    const bar = document.createElement('progress');
    bar.max = 100;
    const status = document.createElement('span');
    status.className = 'u-status muted';
    const btns = document.createElement('span');
    btns.className = 'u-btns';
    btns.append(button(t('js.upload.cancel'), 'cancel', it.id), button(t('js.upload.retry'), 'retry', it.id));
    el.append(name, bar, status, btns);
    list.append(el);
    lines.set(it.id, el);
    return el;
  };

  const draw = (it) => {
    const el = line(it);
    const [name, bar, status, btns] = el.children;
    name.textContent = it.path;
    name.title = it.path;
    const pct = it.total ? Math.floor((it.sent / it.total) * 100) : (it.state === 'done' ? 100 : 0);
    bar.value = pct;
    bar.setAttribute('aria-label', t('js.upload.progress_of', { name: it.name }));
    el.dataset.state = it.state;
    let text;
    switch (it.state) {
      case 'uploading': {
        const left = it.speed > 0 ? (it.total - it.sent) / it.speed : NaN;
        text = t('js.upload.status', {
          sent: formatSize(it.sent), total: formatSize(it.total),
          speed: it.speed > 0 ? `${formatSize(Math.round(it.speed))}/s` : '–', left: formatDuration(left),
        });
        break;
      }
      case 'error': text = errorText(it.code); break;
      default: text = t(`js.upload.${it.state}`);
    }
    status.textContent = text;
    btns.children[0].hidden = !['queued', 'uploading'].includes(it.state);
    btns.children[1].hidden = !['error', 'cancelled'].includes(it.state);
  };

  const drawAll = () => {
    for (const [id, el] of lines) {
      if (!queue.items.some((i) => i.id === id)) { el.remove(); lines.delete(id); }
    }
    for (const it of queue.items) draw(it);
  };

  let pending = false;
  queue.addEventListener('change', (e) => {
    panel.hidden = false;
    if (e.detail) draw(e.detail); else drawAll();
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const done = queue.items.filter((i) => i.state === 'done').length;
      summary.textContent = t('js.upload.summary', { done, total: queue.items.length });
    });
  });
}
