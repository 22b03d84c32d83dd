// RFC 6238 time-based one-time passcodes (HMAC-SHA-1, 30-second steps,
// 6 digits), for scenarios that enrol: the code an authenticator app would
// show for a base32 secret at a given Unix time.

import crypto from 'node:crypto';

/** Decodes RFC 4648 base32 (no padding needed; spaces ignored). */
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 6-digit code for `secret` (base32) at `unixSeconds`. */
export function totp(secret, unixSeconds, step = 30, digits = 6) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / step)));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(n % 10 ** digits).padStart(digits, '0');
}

// RFC 6238 appendix B (SHA-1 key "12345678901234567890", 8 digits), so a
// broken implementation fails here rather than as a "wrong code" later.
const rfcKey = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
for (const [t, want] of [[59, '94287082'], [1111111109, '07081804'], [2000000000, '69279037']]) {
  const got = totp(rfcKey, t, 30, 8);
  if (got !== want) throw new Error(`TOTP self-test at ${t}: ${got} != ${want}`);
}
