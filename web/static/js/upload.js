// The upload queue: files (and whole folders) are sent one or two at a
// time with progress, speed and time left; each can be cancelled or tried
// again; a name conflict is asked about once ("apply to all").
//
// The transport is one small replaceable function (see `setTransport`):
// files from 8 MiB on go resumably with tus (tus.js), smaller ones in one
// PUT /api/v1/files/{path}?parents=true with XMLHttpRequest progress events
// (one request instead of three).

import { csrf, encodePath } from './api.js';
import { tusUpload } from './tus.js';

const TUS_FROM = 8 * 1024 * 1024;

/**
 * Sends `file` to `path`. Resolves to `{status, code}` (code: the problem's
 * stable code when status is not 2xx). Calls `onProgress(sentBytes)`; stops
 * when `signal` aborts (rejects with an AbortError). With `create`, fails
 * with 412 instead of replacing an existing file.
 */
export function xhrPut(file, path, { onProgress, signal, create }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/api/v1/files${encodePath(path)}?parents=true`);
    xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    if (create) xhr.setRequestHeader('If-None-Match', '*');
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded);
    xhr.onload = () => {
      let code = null;
      if (xhr.status >= 300) {
        try { code = JSON.parse(xhr.responseText).code; } catch { code = 'generic'; }
      }
      resolve({ status: xhr.status, code });
    };
    xhr.onerror = () => resolve({ status: 0, code: 'network' });
    xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** Large files resumably (tus), small ones in one PUT. */
export function autoTransport(file, path, opts) {
  return file.size >= TUS_FROM ? tusUpload(file, path, opts) : xhrPut(file, path, opts);
}

let transport = autoTransport;
/** Replaces how bytes travel (e.g. a tus client); same contract as `xhrPut`. */
export function setTransport(fn) { transport = fn; }

/** `name (2).ext`, `name (3).ext`, ... */
export function numbered(name, n) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

let nextId = 1;

export class UploadQueue extends EventTarget {
  /** `askConflict(name)` resolves to `{choice: 'replace'|'keep'|'skip', all}`. */
  constructor({ askConflict, parallel = 2 }) {
    super();
    this.askConflict = askConflict;
    this.parallel = parallel;
    this.items = [];
    this.running = 0;
    this.conflictRule = null;
    this.asking = Promise.resolve();
  }

  /** Queues `[{file, path}]` (path: full destination in the tenant). */
  add(entries) {
    for (const { file, path } of entries) {
      this.items.push({
        id: nextId++, file, path, name: path.slice(path.lastIndexOf('/') + 1),
        state: 'queued', sent: 0, total: file.size, speed: 0, started: 0, code: null, ctrl: null,
      });
    }
    this.emit();
    this.pump();
  }

  emit(item) { this.dispatchEvent(new CustomEvent('change', { detail: item })); }

  cancel(id) {
    const it = this.items.find((i) => i.id === id);
    if (!it) return;
    if (it.state === 'uploading') it.ctrl?.abort();
    else if (it.state === 'queued') { it.state = 'cancelled'; this.emit(it); }
  }

  retry(id) {
    const it = this.items.find((i) => i.id === id);
    if (!it || !['error', 'cancelled'].includes(it.state)) return;
    Object.assign(it, { state: 'queued', sent: 0, speed: 0, code: null });
    this.emit(it);
    this.pump();
  }

  clearFinished() {
    this.items = this.items.filter((i) => !['done', 'skipped', 'cancelled'].includes(i.state));
    this.emit();
  }

  pump() {
    while (this.running < this.parallel) {
      const it = this.items.find((i) => i.state === 'queued');
      if (!it) break;
      this.running += 1;
      it.state = 'uploading';
      this.run(it).finally(() => {
        this.running -= 1;
        this.emit(it);
        if (!this.items.some((i) => i.state === 'queued' || i.state === 'uploading')) {
          this.dispatchEvent(new Event('idle'));
        }
        this.pump();
      });
    }
  }

  /** One conflict question at a time; "apply to all" answers the rest. */
  decide(name) {
    const answer = this.asking.then(async () => {
      if (this.conflictRule) return this.conflictRule;
      const { choice, all } = await this.askConflict(name);
      if (all) this.conflictRule = choice;
      return choice;
    });
    this.asking = answer.catch(() => {});
    return answer;
  }

  async send(it, path, create) {
    it.ctrl = new AbortController();
    it.sent = 0;
    it.started = performance.now();
    let lastT = it.started; let lastB = 0;
    const onProgress = (sent) => {
      it.sent = sent;
      const now = performance.now();
      if (now - lastT > 250) {
        const inst = ((sent - lastB) * 1000) / (now - lastT);
        it.speed = it.speed ? it.speed * 0.6 + inst * 0.4 : inst;
        lastT = now; lastB = sent;
      }
      this.emit(it);
    };
    return transport(it.file, path, { onProgress, signal: it.ctrl.signal, create });
  }

  /** True if a file exists at `path` (asked before sending any bytes). */
  async exists(path) {
    try {
      const r = await fetch(`/api/v1/files${encodePath(path)}`, { method: 'HEAD', credentials: 'same-origin' });
      return r.status === 200;
    } catch {
      return false;
    }
  }

  async run(it) {
    this.emit(it);
    try {
      let path = it.path;
      let replace = false;
      if (await this.exists(path)) {
        const choice = await this.decide(it.name);
        if (choice === 'skip') { it.state = 'skipped'; return; }
        if (choice === 'replace') replace = true;
        else {
          const dir = path.slice(0, path.lastIndexOf('/'));
          let n = 2;
          while (n < 1000 && await this.exists(`${dir}/${numbered(it.name, n)}`)) n += 1;
          path = `${dir}/${numbered(it.name, n)}`;
          it.path = path;
          it.name = path.slice(path.lastIndexOf('/') + 1);
        }
      }
      // Without "replace", never overwrite: a file that appeared meanwhile
      // makes this fail (412) instead of silently becoming a new version.
      const r = await this.send(it, path, !replace);
      if (r.status >= 200 && r.status < 300) {
        it.state = 'done';
        it.sent = it.total;
      } else {
        it.state = 'error';
        it.code = r.status === 412 ? 'name_conflict' : (r.code || 'generic');
      }
    } catch (e) {
      it.state = e?.name === 'AbortError' ? 'cancelled' : 'error';
      if (it.state === 'error') it.code = 'network';
    }
  }
}

/** Files of a drop, folders walked recursively: `[{file, rel}]` (rel: a/b/c.txt). */
export async function droppedFiles(dataTransfer) {
  const entries = [];
  for (const item of Array.from(dataTransfer.items || [])) {
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
  }
  if (!entries.length) {
    return Array.from(dataTransfer.files || []).map((file) => ({ file, rel: file.name }));
  }
  const out = [];
  const walk = async (entry, prefix) => {
    if (entry.isFile) {
      const file = await new Promise((res, rej) => entry.file(res, rej));
      out.push({ file, rel: prefix + entry.name });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}
