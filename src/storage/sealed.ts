/**
 * Secrets kept in the database, sealed with AES-256-GCM under a key derived (HKDF-SHA256) from
 * KEYS_ENCRYPTION_SECRET, one derived key per purpose: signing keys, second-factor secrets. With an
 * empty secret (development) values are stored as they are, and a sealed value cannot be opened.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { derivedKey, type SecretPurpose } from '../secrets.js';

const ENVELOPE = 'enc:v1:';

export class Sealer {
  private readonly key: Buffer | undefined;

  /** `purpose` selects the derived key; `what` names the values in error messages ("signing keys"). */
  constructor(secret: string, purpose: SecretPurpose, private readonly what: string) {
    this.key = secret ? derivedKey(secret, purpose) : undefined;
  }

  seal(plain: string): string {
    if (!this.key) return plain;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ENVELOPE + [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join(':');
  }

  open(stored: string): string {
    if (!stored.startsWith(ENVELOPE)) return stored;
    if (!this.key) throw new Error(`The ${this.what} are stored encrypted: set KEYS_ENCRYPTION_SECRET to the secret they were sealed with.`);
    const [iv, tag, body] = stored.slice(ENVELOPE.length).split(':').map((p) => Buffer.from(p, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv!);
    decipher.setAuthTag(tag!);
    try {
      return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`KEYS_ENCRYPTION_SECRET does not open the stored ${this.what}.`);
    }
  }
}
