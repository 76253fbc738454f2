/**
 * Porta as an OpenID Connect relying party of an institution (openid-client 6): the upstream's entry in the
 * federation file, discovery at first use (cached, bounded in time), the authorization request (code + PKCE +
 * state + nonce, REFEDS MFA asked with acr_values) and the answer (ID token validated by openid-client:
 * signature, issuer, audience, expiry, nonce; then userinfo). Nothing here knows HTTP routes or accounts.
 *
 * The request is stored like a SAML AuthnRequest (table saml_requests, see migration 012): its ID is the
 * `state`, it records the interaction it was sent for, expires with it, and is spent once.
 */
import { randomBytes, createPrivateKey, webcrypto, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as client from 'openid-client';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/db.js';
import type { FederatedClaims } from '../accounts.js';
import { CLAIM_OF_ATTRIBUTE } from '../attributes.js';

export interface OidcUpstream {
  issuer: string;
  clientId: string;
  /** Never logged nor shown (`porta federation show` says only which kind of client authentication). */
  clientSecret?: string;
  privateKeyJwk?: JsonWebKey;
  scopes: string;
  displayNames: Record<string, string>;
  trustEmailVerified: boolean;
  /** Upstream claim name → Porta claim name. */
  claims: Record<string, string>;
}

/** Porta's institution claims (the same as a SAML IdP's attributes become), by name: whether each is an array. */
const PORTA_CLAIMS: ReadonlyMap<string, boolean> = new Map(Object.values(CLAIM_OF_ATTRIBUTE).map((c) => [c.claim, c.multi]));
const DEFAULT_MAPPING: Record<string, string> = Object.fromEntries([...PORTA_CLAIMS.keys()].map((c) => [c, c]));

const MAX_VALUE_LENGTH = 256;
const MAX_VALUES = 50;
// Discovery, token and userinfo calls to an institution: a slow one gives its error page, not a hung sign-in.
const UPSTREAM_TIMEOUT_SECONDS = 5;
// A discovered configuration is used for an hour, then fetched again (key rotation at the upstream).
const DISCOVERY_TTL_MS = 60 * 60 * 1000;

const claimName = z.string().min(1).max(100);
const entrySchema = z.strictObject({
  issuer: z.string().url('an https URL').max(1024).refine((u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  }, 'must be https (http only on localhost)'),
  clientId: z.string().min(1).max(512),
  clientSecret: z.string().min(1).max(1024).optional(),
  privateKeyJwk: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  scopes: z.string().max(1000).regex(/(^| )openid( |$)/, 'must include openid').optional(),
  displayNames: z.strictObject({ en: z.string().min(1).max(200).optional(), it: z.string().min(1).max(200).optional() }).optional(),
  trustEmailVerified: z.boolean().optional(),
  claims: z.record(claimName, claimName.refine((c) => PORTA_CLAIMS.has(c), { message: `must be one of ${[...PORTA_CLAIMS.keys()].join(', ')}` })).optional(),
});

/** An `oidc` entry of the federation file; undefined after reporting its problems (never a secret's value). */
export function parseOidcUpstream(raw: unknown, baseDir: string, problem: (message: string) => void): OidcUpstream | undefined {
  const entry = entrySchema.safeParse(raw);
  if (!entry.success) {
    for (const issue of entry.error.issues) problem(`${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
    return undefined;
  }
  const e = entry.data;
  if ((e.clientSecret === undefined) === (e.privateKeyJwk === undefined)) {
    problem('give either clientSecret or privateKeyJwk (a file path or a JWK)');
    return undefined;
  }
  let privateKeyJwk: JsonWebKey | undefined;
  if (e.privateKeyJwk !== undefined) {
    try {
      privateKeyJwk = (typeof e.privateKeyJwk === 'string' ? JSON.parse(readFileSync(resolve(baseDir, e.privateKeyJwk), 'utf8')) : e.privateKeyJwk) as JsonWebKey;
      const key = createPrivateKey({ key: privateKeyJwk, format: 'jwk' });
      if (!['rsa', 'ec'].includes(key.asymmetricKeyType ?? '') || (key.asymmetricKeyType === 'ec' && privateKeyJwk.crv !== 'P-256')) throw new Error('an RSA or P-256 private key is needed');
    } catch (err) {
      // The message of a JSON or key error does not carry the key's content.
      problem(`privateKeyJwk: not a usable private JWK (${(err as Error).message.slice(0, 200)})`);
      return undefined;
    }
  }
  return {
    issuer: e.issuer, clientId: e.clientId, clientSecret: e.clientSecret, privateKeyJwk,
    scopes: e.scopes ?? 'openid email profile', displayNames: { ...e.displayNames },
    trustEmailVerified: e.trustEmailVerified ?? false, claims: { ...DEFAULT_MAPPING, ...e.claims },
  };
}

/** Why an institution's answer was not used: unreachable, or it did not pass openid-client's checks. */
export class OidcUpstreamError extends Error {
  constructor(readonly code: 'unavailable' | 'invalid', message: string) {
    super(message);
  }
}

export interface OidcRequest { id: string; idp: string; interactionUid: string | null; expiresAt: number; consumed: boolean; nonce: string; codeVerifier: string; requireMfa: boolean }

export const ACR_REFEDS_MFA = 'https://refeds.org/profile/mfa';

export class OidcRp {
  private readonly discovered = new Map<string, { config: client.Configuration; at: number }>();

  constructor(private readonly db: Db, private readonly clock: Clock, readonly redirectUri: string, private readonly requestTtlMs: number) {}

  /** The upstream's configuration, discovered at first use; an unreachable upstream is an OidcUpstreamError('unavailable'). */
  async configuration(up: OidcUpstream): Promise<client.Configuration> {
    const cached = this.discovered.get(up.issuer);
    if (cached && this.clock.now() - cached.at < DISCOVERY_TTL_MS) return cached.config;
    const insecure = new URL(up.issuer).protocol === 'http:';
    let config: client.Configuration;
    try {
      config = await client.discovery(new URL(up.issuer), up.clientId, { redirect_uris: [this.redirectUri] }, await clientAuth(up), {
        timeout: UPSTREAM_TIMEOUT_SECONDS, execute: insecure ? [client.allowInsecureRequests] : [],
      });
    } catch (err) {
      throw new OidcUpstreamError('unavailable', `discovery failed: ${(err as Error).message}`);
    }
    config.timeout = UPSTREAM_TIMEOUT_SECONDS;
    this.discovered.set(up.issuer, { config, at: this.clock.now() });
    return config;
  }

  /** The upstream's authorization URL; the request (state, nonce, PKCE verifier) stored with the interaction. */
  async authorizationUrl(up: OidcUpstream, o: { interactionUid: string; requireMfa: boolean }): Promise<URL> {
    const config = await this.configuration(up);
    // The same form as a SAML request ID, so the shared return route finds either.
    const state = `_${randomBytes(20).toString('hex')}`;
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const now = this.clock.now();
    await this.db('saml_requests').insert({
      id: state, idp_entity_id: up.issuer, interaction_uid: o.interactionUid, created_at: now, expires_at: now + this.requestTtlMs,
      consumed_at: null, oidc: JSON.stringify({ nonce, codeVerifier, requireMfa: o.requireMfa }),
    });
    return client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri, scope: up.scopes, state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
      ...(o.requireMfa ? { acr_values: ACR_REFEDS_MFA } : {}),
    });
  }

  /** A stored OIDC request by its state. */
  async request(state: string): Promise<OidcRequest | undefined> {
    const row = (await this.db('saml_requests').where({ id: state }).whereNotNull('oidc').first()) as
      { id: string; idp_entity_id: string; interaction_uid: string | null; expires_at: number | string; consumed_at: unknown; oidc: string } | undefined;
    if (!row) return undefined;
    const extra = JSON.parse(row.oidc) as { nonce: string; codeVerifier: string; requireMfa: boolean };
    return { id: row.id, idp: row.idp_entity_id, interactionUid: row.interaction_uid, expiresAt: Number(row.expires_at), consumed: row.consumed_at !== null, ...extra };
  }

  /** Spends the request; false when it was spent already (a replayed callback, or a race of two). */
  async spend(state: string): Promise<boolean> {
    return (await this.db('saml_requests').where({ id: state }).whereNull('consumed_at').update({ consumed_at: this.clock.now() })) === 1;
  }

  /**
   * The code exchanged (PKCE verifier, state, nonce, ID token checked by openid-client), then userinfo:
   * the person's subject, Porta's claims by the upstream's mapping, and whether the upstream asserted REFEDS MFA.
   */
  async complete(up: OidcUpstream, request: OidcRequest, callbackUrl: URL): Promise<{ subject: string; claims: FederatedClaims; mfa: boolean }> {
    const config = await this.configuration(up);
    let idToken: client.IDToken;
    let accessToken: string;
    try {
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: request.codeVerifier, expectedState: request.id, expectedNonce: request.nonce, idTokenExpected: true,
      });
      idToken = tokens.claims()!;
      accessToken = tokens.access_token;
    } catch (err) {
      throw new OidcUpstreamError(unreachable(err) ? 'unavailable' : 'invalid', `token response refused: ${(err as Error).message}`);
    }
    let userinfo: Record<string, unknown> = {};
    if (config.serverMetadata().userinfo_endpoint) {
      try {
        userinfo = await client.fetchUserInfo(config, accessToken, idToken.sub);
      } catch (err) {
        throw new OidcUpstreamError(unreachable(err) ? 'unavailable' : 'invalid', `userinfo refused: ${(err as Error).message}`);
      }
    }
    return { subject: idToken.sub, claims: mappedClaims(up, { ...idToken, ...userinfo }), mfa: idToken.acr === ACR_REFEDS_MFA };
  }
}

/** Porta's claims from the upstream's, by its mapping; values bounded and printable, others dropped. */
export function mappedClaims(up: OidcUpstream, upstream: Record<string, unknown>): FederatedClaims {
  const claims: FederatedClaims = {};
  for (const [from, to] of Object.entries(up.claims)) {
    const raw = upstream[from];
    const values = (Array.isArray(raw) ? raw : [raw]).slice(0, MAX_VALUES).filter((v): v is string =>
      // eslint-disable-next-line no-control-regex
      typeof v === 'string' && v.length > 0 && v.length <= MAX_VALUE_LENGTH && !/[\u0000-\u001f\u007f]/.test(v));
    if (values.length === 0 || claims[to] !== undefined) continue;
    claims[to] = PORTA_CLAIMS.get(to) ? values : values[0]!;
  }
  // The institution's word that the address is verified counts only where the file trusts it.
  if (typeof claims.email === 'string') claims.email_verified = up.trustEmailVerified && upstream.email_verified === true;
  return claims;
}

/** fetch's own failures (refused, reset, timed out), as opposed to an answer that failed a check. */
const unreachable = (err: unknown): boolean => {
  // openid-client wraps fetch's error in its ClientError ("something went wrong") with the cause.
  // Duck-typed: fetch's errors may come from another realm (instanceof Error fails there).
  for (let e = err as { name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && typeof e === 'object' && depth < 4; e = e.cause as typeof e, depth++) {
    if ((e.name === 'TypeError' && e.message === 'fetch failed') || e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  }
  return false;
};

async function clientAuth(up: OidcUpstream): Promise<client.ClientAuth> {
  if (up.clientSecret !== undefined) return client.ClientSecretBasic(up.clientSecret);
  const jwk = up.privateKeyJwk!;
  const algorithm = jwk.kty === 'EC' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const key = await webcrypto.subtle.importKey('jwk', jwk as webcrypto.JsonWebKey, algorithm, false, ['sign']);
  return client.PrivateKeyJwt(jwk.kid ? { key, kid: String(jwk.kid) } : key);
}
