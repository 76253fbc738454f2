/**
 * Porta's SAML SP protocol core, on @node-saml/node-saml (no XML signature or crypto code of our own):
 * a signed AuthnRequest over HTTP-Redirect (RSA-SHA256) whose ID is stored single-use with an expiry,
 * and the check of the IdP's HTTP-POST response — signature with the IdP's metadata certificate,
 * issuer, audience, destination and recipient, time with bounded skew, InResponseTo the request this
 * browser sent. node-saml checks signature, audience, time and InResponseTo; issuer, destination and
 * recipient are checked here (checkAddressing), on the XML node-saml has already verified.
 * No HTTP here: interactions/ calls it.
 */
import { randomBytes } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { SAML, SamlStatusError, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/db.js';
import type { SamlIdp } from './idp-metadata.js';
import type { SpKeys } from './sp-keys.js';
import { ACR_MFA } from '../../mfa/assurance.js';

/** Clock difference with an IdP that is still accepted (Shibboleth SP's default is 180 s). */
export const CLOCK_SKEW_MS = 180_000;

export class SamlResponseError extends Error {
  /**
   * `status`: the IdP answered with an error status (the person cancelled, AuthnFailed…), `statusCode` the
   * most specific one; `expired`: the assertion's time window does not hold on our clock (skew included).
   */
  constructor(readonly code: 'replayed' | 'unsolicited' | 'invalid' | 'status' | 'expired', message: string, readonly statusCode?: string) {
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
  /** When the person signed in at the IdP (AuthnStatement@AuthnInstant, epoch ms), capped at our now. */
  authnInstant: number | undefined;
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

  private async saml(idp: SamlIdp, cacheProvider: CacheProvider, o: { decryptionKey?: string; requireMfa?: boolean; forceAuthn?: boolean; requestId?: string } = {}): Promise<SAML> {
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
      decryptionPvk: o.decryptionKey ?? encryption.privateKey,
      identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: CLOCK_SKEW_MS,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: this.requestTtlMs,
      // Asked for only when the service needs two factors: then exactly REFEDS MFA (a "minimum" comparison
      // would leave the order of contexts to each IdP); otherwise the IdP's default sign-in.
      disableRequestedAuthnContext: !o.requireMfa,
      authnContext: [ACR_MFA],
      racComparison: 'exact',
      // The service asked for a fresh sign-in (prompt=login, max_age): the IdP must not reuse its SSO session.
      forceAuthn: Boolean(o.forceAuthn),
      cacheProvider,
      ...(o.requestId ? { generateUniqueId: () => o.requestId! } : {}),
    });
  }

  /** A stored AuthnRequest by its ID (the RelayState the IdP sends back), unanswered or not. */
  async request(id: string): Promise<{ id: string; idpEntityId: string; interactionUid: string | null; expiresAt: number } | undefined> {
    const row = (await this.db('saml_requests').where({ id }).first()) as { id: string; idp_entity_id: string; interaction_uid: string | null; expires_at: number | string } | undefined;
    return row && { id: row.id, idpEntityId: row.idp_entity_id, interactionUid: row.interaction_uid, expiresAt: Number(row.expires_at) };
  }

  /** What the ACS made of the response to this request (JSON), for the browser that comes back with the interaction. */
  async recordOutcome(id: string, outcome: string): Promise<void> {
    await this.db('saml_requests').where({ id }).update({ outcome });
  }

  /** The outcome recorded for the interaction's request, taken once (a second GET finds nothing). */
  async takeOutcome(id: string, interactionUid: string): Promise<{ idpEntityId: string; outcome: string; requestedMfa: boolean } | undefined> {
    const row = (await this.db('saml_requests').where({ id, interaction_uid: interactionUid }).whereNotNull('outcome').first()) as { idp_entity_id: string; outcome: string; requested_mfa: boolean | number } | undefined;
    if (!row) return undefined;
    const taken = await this.db('saml_requests').where({ id, interaction_uid: interactionUid }).whereNotNull('outcome').update({ outcome: null });
    return taken === 1 ? { idpEntityId: row.idp_entity_id, outcome: row.outcome, requestedMfa: Boolean(row.requested_mfa) } : undefined;
  }

  /** Deletes requests past their lifetime (answered or not): run by the expiry sweep. */
  static async prune(db: Db, now: number): Promise<number> {
    return db('saml_requests').where('expires_at', '<=', now).delete();
  }

  /**
   * The IdP's address carrying a signed AuthnRequest, stored with the interaction it was sent for
   * (`interactionUid`); `requireMfa` asks the IdP for REFEDS MFA. `relayState` undefined: the request's ID.
   */
  async authnRequest(idp: SamlIdp, relayState?: string, o: { interactionUid?: string; requireMfa?: boolean; forceAuthn?: boolean } = {}): Promise<{ url: string; requestId: string }> {
    // Our own ID (node-saml's form), so that it can also be the RelayState the ACS finds the request by.
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const now = this.clock.now();
    const url = await (await this.saml(idp, {
      saveAsync: async (id) => {
        await this.db('saml_requests').insert({ id, idp_entity_id: idp.entityId, interaction_uid: o.interactionUid ?? null, created_at: now, expires_at: now + this.requestTtlMs, consumed_at: null, requested_mfa: Boolean(o.requireMfa), force_authn: Boolean(o.forceAuthn) });
        return { value: String(now), createdAt: now };
      },
      getAsync: async () => null,
      removeAsync: async () => null,
    }, { requireMfa: o.requireMfa, forceAuthn: o.forceAuthn, requestId })).getAuthorizeUrlAsync(relayState ?? requestId, undefined, {});
    return { url, requestId };
  }

  /**
   * Checks a response posted to the ACS against the request this browser started (`expectedRequestId`),
   * then spends that request: a second use of the same response, or a race of two, is refused.
   */
  async acceptResponse(idp: SamlIdp, expectedRequestId: string | undefined, samlResponse: string): Promise<SamlAssertion> {
    const now = this.clock.now();
    const row = expectedRequestId
      ? (await this.db('saml_requests').where({ id: expectedRequestId, idp_entity_id: idp.entityId }).first()) as { created_at: number | string; expires_at: number | string; consumed_at: number | string | null; force_authn: boolean | number } | undefined
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
        ({ profile } = await (await this.saml(idp, cacheProvider, { decryptionKey: key })).validatePostResponseAsync({ SAMLResponse: samlResponse }));
        break;
      } catch (err) {
        const message = (err as Error).message;
        if (err instanceof SamlStatusError) throw new SamlResponseError('status', message, innermostStatus(err.xmlStatus));
        if (/InResponseTo/.test(message)) throw new SamlResponseError('unsolicited', message);
        // node-saml's words for a time window that does not hold (the conditions', or the subject confirmation's).
        if (/SAML assertion expired|NotBefore|NotOnOrAfter|No valid subject confirmation/.test(message)) throw new SamlResponseError('expired', message);
        if (i < decryptionKeys.length - 1 && isDecryptionFailure(err)) continue;
        throw new SamlResponseError('invalid', message);
      }
    }
    if (!profile) throw new SamlResponseError('invalid', 'no assertion in the response');
    checkAddressing(profile, idp.entityId, this.acsUrl);
    const assertionXml = profile.getAssertionXml?.() ?? '';
    const authnInstant = authnInstantOf(assertionXml);
    // Asked for a fresh sign-in, answered with one from before the request: the IdP reused its session.
    if (row?.force_authn && authnInstant !== undefined && authnInstant < Number(row.created_at) - CLOCK_SKEW_MS) {
      throw new SamlResponseError('expired', 'ForceAuthn was asked, the AuthnInstant is older than the request');
    }
    const spent = await this.db('saml_requests').where({ id: expectedRequestId }).whereNull('consumed_at').update({ consumed_at: now });
    if (spent !== 1) throw new SamlResponseError('replayed', 'this response was already used');
    return {
      idpEntityId: idp.entityId,
      nameId: profile.nameID ? { value: profile.nameID, format: profile.nameIDFormat ?? '' } : undefined,
      attributes: attributesOf(profile),
      authnContext: authnContextOf(assertionXml),
      authnInstant: authnInstant === undefined ? undefined : Math.min(authnInstant, now),
    };
  }
}

const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/**
 * What node-saml 5 does not check on a POST response: that it comes from the IdP the request was sent to,
 * and was meant for this ACS. Without the issuer check, another registered IdP sharing a signing key
 * (hosted, multi-tenant IdPs) could answer a request sent to this one; without destination and recipient,
 * a response for another ACS of the same entityID (staging vs production) would be taken here.
 * - the (signed) assertion's Issuer, and the Response's Issuer when present, must be the IdP's entityID;
 * - Response@Destination, when present, must be our ACS URL: SAML (bindings §3.5.5.2) makes it mandatory
 *   only for a signed Response, and IdPs that sign just the assertion may leave it out, as Shibboleth SP allows;
 * - a bearer SubjectConfirmation whose SubjectConfirmationData@Recipient is our ACS URL must be in the signed
 *   assertion (mandatory in the Web Browser SSO profile).
 */
function checkAddressing(profile: Profile, idpEntityId: string, acsUrl: string): void {
  if (profile.issuer !== idpEntityId) throw new SamlResponseError('invalid', 'the assertion\'s issuer is not the IdP the request was sent to');
  const response = new DOMParser({ onError: () => undefined }).parseFromString(profile.getSamlResponseXml?.() ?? '', 'application/xml').documentElement;
  if (!response || response.localName !== 'Response') throw new SamlResponseError('invalid', 'no Response element');
  const responseIssuer = Array.from(response.getElementsByTagNameNS(ASSERTION_NS, 'Issuer')).find((e) => e.parentNode === response);
  if (responseIssuer && responseIssuer.textContent?.trim() !== idpEntityId) throw new SamlResponseError('invalid', 'the response\'s issuer is not the IdP the request was sent to');
  if (response.hasAttribute('Destination') && response.getAttribute('Destination') !== acsUrl) throw new SamlResponseError('invalid', 'the response\'s Destination is not this ACS');
  const assertion = new DOMParser({ onError: () => undefined }).parseFromString(profile.getAssertionXml?.() ?? '', 'application/xml');
  const forUs = Array.from(assertion.getElementsByTagNameNS(ASSERTION_NS, 'SubjectConfirmation'))
    .filter((c) => c.getAttribute('Method') === BEARER)
    .some((c) => Array.from(c.getElementsByTagNameNS(ASSERTION_NS, 'SubjectConfirmationData')).some((d) => d.getAttribute('Recipient') === acsUrl));
  if (!forUs) throw new SamlResponseError('invalid', 'no bearer subject confirmation with this ACS as Recipient');
}

/**
 * Whether an error status answering a request for REFEDS MFA means "not this way" rather than "not you":
 * an IdP without MFA answers NoAuthnContext (or RequestUnsupported, or, some, AuthnFailed). Then the sign-in
 * restarts once without RequestedAuthnContext, and Porta's own second factor follows.
 */
export function mfaRefused(requestedMfa: boolean, statusCode: string | undefined): boolean {
  return requestedMfa && statusCode !== undefined && MFA_REFUSALS.has(statusCode);
}
const MFA_REFUSALS = new Set(['NoAuthnContext', 'RequestUnsupported', 'AuthnFailed'].map((s) => `urn:oasis:names:tc:SAML:2.0:status:${s}`));

/** The relying service asked for a fresh sign-in (prompt=login, or max_age): then the AuthnRequest says ForceAuthn. */
export function asksFreshSignIn(params: Record<string, unknown>): boolean {
  return String(params.prompt ?? '').split(' ').includes('login') || params.max_age !== undefined;
}

/** The session's auth_time (epoch seconds): when the person signed in at the institution, not when we heard of it. */
export function authTimeOf(assertion: SamlAssertion): number | undefined {
  return assertion.authnInstant === undefined ? undefined : Math.floor(assertion.authnInstant / 1000);
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

/** AuthnStatement@AuthnInstant of the (already verified) assertion, epoch ms; undefined when absent or unreadable. */
function authnInstantOf(assertionXml: string): number | undefined {
  if (!assertionXml) return undefined;
  const doc = new DOMParser({ onError: () => undefined }).parseFromString(assertionXml, 'application/xml');
  const [statement] = Array.from(doc.getElementsByTagNameNS(ASSERTION_NS, 'AuthnStatement'));
  const ms = Date.parse(statement?.getAttribute('AuthnInstant') ?? '');
  return Number.isFinite(ms) ? ms : undefined;
}

/** The last (most specific) StatusCode Value of a Status element, e.g. urn:oasis:names:tc:SAML:2.0:status:AuthnFailed. */
function innermostStatus(statusXml: string): string | undefined {
  try {
    const doc = new DOMParser({ onError: () => undefined }).parseFromString(statusXml, 'application/xml');
    const codes = Array.from(doc.getElementsByTagNameNS('*', 'StatusCode'));
    return codes.at(-1)?.getAttribute('Value')?.slice(0, 200) || undefined;
  } catch {
    return undefined;
  }
}
