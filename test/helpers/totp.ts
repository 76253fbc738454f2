/**
 * The tests' own RFC 6238 TOTP on node:crypto (never the server's library): HMAC-SHA-1 over the
 * 30-second step counter, dynamic truncation (RFC 4226 §5.3), 6 digits unless told otherwise.
 */
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index === -1) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function hotp(key: Buffer, counter: number, digits = 6, algorithm = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The code for the time `ms` (epoch milliseconds), SHA-1, 30-second steps. */
export function totp(key: Buffer | string, ms: number, digits = 6, algorithm = 'sha1'): string {
  const secret = typeof key === 'string' ? base32Decode(key) : key;
  return hotp(secret, Math.floor(ms / 1000 / 30), digits, algorithm);
}
