// Resumable uploads with tus 1.0.0 against Kura's /api/v1/uploads (core,
// creation, termination; checksums are left to TCP and the final commit).
// Same contract as `xhrPut` in upload.js, so the queue does not change.
//
// The upload's URL is kept in localStorage under a fingerprint of the file
// and its target, so after a dropped connection, a cancelled-then-retried
// item or a reload (the same file dropped again) the client asks the server
// for its offset (HEAD) and sends only the rest. Each chunk is one PATCH;
// a failed PATCH is retried from the server's offset a few times before the
// item is reported as failed. A cancelled upload stays on the server until
// it expires (24 h by default), so "retry" continues it too.

import { csrf, encodePath, parentOf } from './api.js';

const CHUNK = 8 * 1024 * 1024;
const RETRIES = 5;
const STORE = 'kura-tus:';

/** Base64 of UTF-8 text (tus metadata values). */
function b64(text) {
  let bin = '';
  for (const byte of new TextEncoder().encode(text)) bin += String.fromCharCode(byte);
  return btoa(bin);
}

function fingerprint(file, path) {
  return `${STORE}${path}|${file.size}|${file.lastModified}|${file.name}`;
}

function tusHeaders(extra) {
  return { 'Tus-Resumable': '1.0.0', 'X-CSRF-Token': csrf, ...extra };
}

async function problemCode(r) {
  try { return (await r.json()).code || 'generic'; } catch { return 'generic'; }
}

/** The server's offset for a remembered upload, or null if it is gone. */
async function serverOffset(url) {
  const r = await fetch(url, { method: 'HEAD', headers: tusHeaders(), credentials: 'same-origin' });
  if (r.status !== 200) return null;
  const n = Number(r.headers.get('Upload-Offset'));
  return Number.isFinite(n) ? n : null;
}

/** One PATCH of `blob` at `offset`, with upload progress; resolves to the XHR. */
function patch(url, blob, offset, onBytes, signal) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PATCH', url);
    for (const [k, v] of Object.entries(tusHeaders({
      'Upload-Offset': String(offset),
      'Content-Type': 'application/offset+octet-stream',
    }))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onBytes(e.loaded);
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => resolve(null);
    xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    const abort = () => xhr.abort();
    signal?.addEventListener('abort', abort, { once: true });
    xhr.send(blob);
  });
}

/** Creates the folders above `path` (mkdir -p), as the plain PUT does. */
async function ensureParent(path) {
  const parent = parentOf(path);
  if (parent === '/') return;
  await fetch(`/api/v1/folders${encodePath(parent)}?parents=true`, {
    method: 'POST', headers: { 'X-CSRF-Token': csrf }, credentials: 'same-origin',
  });
}

/** Sends `file` to `path` with tus; see `xhrPut` for the contract. */
export async function tusUpload(file, path, { onProgress, signal, create }) {
  const key = fingerprint(file, path);
  let url = localStorage.getItem(key);
  let offset = url ? await serverOffset(url) : null;
  if (offset === null) {
    localStorage.removeItem(key);
    await ensureParent(path);
    const name = path.slice(path.lastIndexOf('/') + 1);
    const meta = [
      `filename ${b64(name)}`,
      `parent ${b64(parentOf(path))}`,
      `on_conflict ${b64(create ? 'fail' : 'version')}`,
    ].join(',');
    const r = await fetch('/api/v1/uploads', {
      method: 'POST',
      credentials: 'same-origin',
      headers: tusHeaders({ 'Upload-Length': String(file.size), 'Upload-Metadata': meta }),
    });
    if (r.status !== 201) {
      const code = await problemCode(r);
      return { status: r.status === 409 && code === 'name_conflict' ? 412 : r.status, code };
    }
    url = new URL(r.headers.get('Location'), location.href).pathname;
    localStorage.setItem(key, url);
    offset = 0;
  }
  onProgress?.(offset);
  let failures = 0;
  for (;;) {
    const end = Math.min(offset + CHUNK, file.size);
    const start = offset;
    const xhr = await patch(url, file.slice(start, end), start, (n) => onProgress?.(start + n), signal);
    if (xhr && xhr.status === 204) {
      offset = Number(xhr.getResponseHeader('Upload-Offset'));
      failures = 0;
      if (offset >= file.size) {
        localStorage.removeItem(key);
        return { status: 201, code: null };
      }
      continue;
    }
    if (xhr && xhr.status !== 409 && xhr.status < 500) {
      // Refused for good (quota, virus, expired...): forget it.
      localStorage.removeItem(key);
      let code = 'generic';
      try { code = JSON.parse(xhr.responseText).code || code; } catch { /* not JSON */ }
      return { status: xhr.status, code };
    }
    // A dropped connection, a server error or an offset mismatch: ask the
    // server where it stands and go on from there.
    failures += 1;
    if (failures > RETRIES) return { status: 0, code: 'network' };
    await new Promise((ok) => setTimeout(ok, 500 * failures));
    const now = await serverOffset(url).catch(() => null);
    if (now === null) {
      if (xhr === null) continue;
      localStorage.removeItem(key);
      return { status: 0, code: 'network' };
    }
    offset = now;
  }
}
