// The message catalogue for the browser (from <meta name="kura-i18n">, made
// by the server from web/i18n/messages.toml) and language-aware formatting.

const meta = document.querySelector('meta[name="kura-i18n"]');
const messages = (() => {
  try { return meta ? JSON.parse(meta.content) : {}; } catch { return {}; }
})();

export const lang = document.documentElement.lang === 'ja' ? 'ja' : 'en';

/** The message `key`, with `{name}` placeholders filled from `args`. */
export function t(key, args) {
  let s = messages[key] ?? key;
  if (args) for (const [k, v] of Object.entries(args)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** The translated text of an API problem code. */
export function errorText(code) {
  return messages[`error.${code}`] ?? messages['error.generic'] ?? code;
}

const numberFormat = new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-US');
export function formatNumber(n) { return numberFormat.format(n); }

/** Bytes as the server writes them (steps of 1024; バイト in Japanese). */
export function formatSize(bytes) {
  if (bytes < 1024) return lang === 'ja' ? `${formatNumber(bytes)} バイト` : `${formatNumber(bytes)} B`;
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes / 1024; let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return v < 10 ? `${v.toFixed(1)} ${units[i]}` : `${formatNumber(Math.round(v))} ${units[i]}`;
}

const dateFormat = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-US', {
  year: 'numeric', month: lang === 'ja' ? '2-digit' : 'short', day: '2-digit', hour: '2-digit', minute: '2-digit',
});
/** An RFC 3339 time in the browser's time zone, the language's way. */
export function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : dateFormat.format(d);
}

/** Seconds as "1:05" or "1:02:03". */
export function formatDuration(s) {
  if (!Number.isFinite(s) || s < 0) return '–';
  s = Math.round(s);
  const h = Math.floor(s / 3600); const m = Math.floor((s % 3600) / 60); const sec = s % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return `${h ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}
