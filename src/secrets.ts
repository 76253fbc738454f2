/**
 * Keys derived from KEYS_ENCRYPTION_SECRET, one per purpose (HKDF-SHA256), so no two uses share a key
 * and none of them is the configured secret itself.
 */
import { hkdfSync } from 'node:crypto';

export type SecretPurpose = 'signing-keys' | 'saml-sp-keys' | 'second-factors' | 'flow-link-tokens' | 'access-codes' | 'pairwise-subject' | 'dpop-nonce';

/** Development and tests without KEYS_ENCRYPTION_SECRET derive from this (production requires the setting). */
const DEVELOPMENT_SECRET = 'dev-only-keys-encryption-secret';

export function derivedKey(secret: string, purpose: SecretPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret || DEVELOPMENT_SECRET, 'porta', purpose, 32));
}
