// Calls to Kura's JSON API from the browser: the session cookie goes along,
// the CSRF token is sent as X-CSRF-Token, and problem+json answers become
// ApiError with the problem's stable code (shown translated, never raw).

import { errorText } from './i18n.js';

export const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

export class ApiError extends Error {
  /** `problem` is the problem+json body (its `attribute` names the field). */
  constructor(status, code, problem = {}) {
    super(errorText(code));
    this.status = status;
    this.code = code;
    this.attribute = typeof problem.attribute === 'string' ? problem.attribute : null;
    this.detail = typeof problem.detail === 'string' ? problem.detail : '';
  }
}

/** A tenant path as URL path segments, each percent-encoded. */
export function encodePath(path) {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** `parent` joined with `name`. */
export function joinPath(parent, name) {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The folder part of a path. */
export function parentOf(path) {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export async function api(method, url, body) {
  const headers = { 'X-CSRF-Token': csrf, Accept: 'application/json' };
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network');
  }
  if (res.status === 401) {
    window.location.assign('/ui/signin');
    throw new ApiError(401, 'unauthenticated');
  }
  if (!res.ok) {
    let problem = {};
    try { problem = (await res.json()) || {}; } catch { /* not JSON */ }
    throw new ApiError(res.status, problem.code || 'generic', problem);
  }
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') || '';
  return type.includes('json') ? res.json() : null;
}
