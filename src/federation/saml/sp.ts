/**
 * Porta's SAML SP protocol core, on @node-saml/node-saml (no XML signature or crypto code of our own):
 * a signed AuthnRequest over HTTP-Redirect (RSA-SHA256) whose ID is stored single-use with an expiry,
 * and the check of the IdP's HTTP-POST response — signature with the IdP's metadata certificate,
 * issuer, audience, destination, time with bounded skew, InResponseTo the request this browser sent.
 * No HTTP here: interactions/ calls it.
 */
import { DOMParser } from '@xmldom/xmldom';
import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/db.js';
import type { SamlIdp } from './idp-metadata.js';
import type { SpKeys } from './sp-keys.js';

/** Clock difference with an IdP that is still accepted (Shibboleth SP's default is 180 s). */
export const CLOCK_SKEW_MS = 180_000;

export class SamlResponseError extends Error {
  constructor(readonly code: 'replayed' | 'unsolicited' | 'invalid', message: string) {
    super(message);
    this.name = 'SamlResponseError';
  }
}

export interface SamlAssertion {
  idpEntityId: string;
  nameId: { value: string; format: string } | undefined;
  /** SAML attribute name (urn:oid:…) → values. */
  attributes: Record<string, string[]>;
  /** AuthnContextClassRef of the assertion, e.g. https://refeds.org/profile/mfa. */
  authnContext: string | undefined;
}

const pem = (base64: string) => `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

export class SamlSp {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keys: SpKeys,
    private readonly entityId: string,
    private readonly acsUrl: string,
    private readonly requestTtlMs: number,
  ) {}

  private async saml(idp: SamlIdp, cacheProvider: CacheProvider, decryptionKey?: string): Promise<SAML> {
    const [signing] = await this.keys.privateKeys('signing');
    const [encryption] = await this.keys.privateKeys('encryption');
    if (!signing || !encryption) throw new Error('SAML SP keys are missing: they are generated at start');
    return new SAML({
      entryPoint: idp.ssoRedirectUrl,
      issuer: this.entityId,
      audience: this.entityId,
      callbackUrl: this.acsUrl,
      idpIssuer: idp.entityId,
      idpCert: idp.signingCertificates.map(pem),
      privateKey: signing.privateKey,
      publicCert: signing.certificate,
      signatureAlgorithm: 'sha256',
      decryptionPvk: decryptionKey ?? encryption.privateKey,
      identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: CLOCK_SKEW_MS,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: this.requestTtlMs,
      disableRequestedAuthnContext: true,
      cacheProvider,
    });
  }

  /** Deletes requests past their lifetime (answered or not): run by the expiry sweep. */
  static async prune(db: Db, now: number): Promise<number> {
    return db('saml_requests').where('expires_at', '<=', now).delete();
  }

  /** The IdP's address carrying a signed AuthnRequest; its ID goes with the browser (a signed cookie). */
  async authnRequest(idp: SamlIdp, relayState: string): Promise<{ url: string; requestId: string }> {
    let requestId = '';
    const now = this.clock.now();
    const url = await (await this.saml(idp, {
      saveAsync: async (id) => {
        requestId = id;
        await this.db('saml_requests').insert({ id, idp_entity_id: idp.entityId, created_at: now, expires_at: now + this.requestTtlMs, consumed_at: null });
        return { value: String(now), createdAt: now };
      },
      getAsync: async () => null,
      removeAsync: async () => null,
    })).getAuthorizeUrlAsync(relayState, undefined, {});
    return { url, requestId };
  }

  /**
   * Checks a response posted to the ACS against the request this browser started (`expectedRequestId`),
   * then spends that request: a second use of the same response, or a race of two, is refused.
   */
  async acceptResponse(idp: SamlIdp, expectedRequestId: string | undefined, samlResponse: string): Promise<SamlAssertion> {
    const now = this.clock.now();
    const row = expectedRequestId
      ? (await this.db('saml_requests').where({ id: expectedRequestId, idp_entity_id: idp.entityId }).first()) as { created_at: number | string; expires_at: number | string; consumed_at: number | string | null } | undefined
      : undefined;
    if (row && row.consumed_at !== null) throw new SamlResponseError('replayed', 'this response was already used');
    const usable = row && Number(row.expires_at) > now;
    // node-saml asks whether the response's InResponseTo is a request we sent: only this browser's, unspent.
    const cacheProvider: CacheProvider = {
      saveAsync: async () => null,
      getAsync: async (id) => (usable && id === expectedRequestId ? new Date(Number(row.created_at)).toISOString() : null),
      removeAsync: async () => null,
    };
    let profile: Profile | null = null;
    // The active encryption key first, then those retired within the overlap: an IdP may still encrypt
    // to a certificate from the metadata it fetched before a rotation.
    const decryptionKeys = (await this.keys.privateKeys('encryption')).map((k) => k.privateKey);
    for (const [i, key] of decryptionKeys.entries()) {
      try {
        ({ profile } = await (await this.saml(idp, cacheProvider, key)).validatePostResponseAsync({ SAMLResponse: samlResponse }));
        break;
      } catch (err) {
        const message = (err as Error).message;
        if (/InResponseTo/.test(message)) throw new SamlResponseError('unsolicited', message);
        if (i < decryptionKeys.length - 1 && isDecryptionFailure(err)) continue;
        throw new SamlResponseError('invalid', message);
      }
    }
    if (!profile) throw new SamlResponseError('invalid', 'no assertion in the response');
    const spent = await this.db('saml_requests').where({ id: expectedRequestId }).whereNull('consumed_at').update({ consumed_at: now });
    if (spent !== 1) throw new SamlResponseError('replayed', 'this response was already used');
    return {
      idpEntityId: idp.entityId,
      nameId: profile.nameID ? { value: profile.nameID, format: profile.nameIDFormat ?? '' } : undefined,
      attributes: attributesOf(profile),
      authnContext: authnContextOf(profile.getAssertionXml?.() ?? ''),
    };
  }
}

/** xml-encryption's errors when the key does not open the assertion's key transport. */
const isDecryptionFailure = (err: unknown) => /decrypt|oaep|RSA/i.test((err as Error).message);

/** node-saml puts attributes on the profile by their Name, a string for one value, an array for several. */
function attributesOf(profile: Profile): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const attrs = (profile.attributes ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(attrs)) {
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    if (values.length) out[name] = values;
  }
  return out;
}

/** The AuthnContextClassRef of the (already verified) assertion, read with a DOM. */
function authnContextOf(assertionXml: string): string | undefined {
  if (!assertionXml) return undefined;
  const doc = new DOMParser().parseFromString(assertionXml, 'application/xml');
  const [ref] = Array.from(doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'AuthnContextClassRef'));
  return ref?.textContent?.trim() || undefined;
}
