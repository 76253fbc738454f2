/**
 * Passkeys and security keys (WebAuthn) with @simplewebauthn/server, no HTTP. rpID is the issuer's
 * hostname and the origin the issuer's origin; user verification "preferred". Each ceremony's challenge
 * is a flow of kind `webauthn_challenge` (the challenge is its token, so only its hash is stored), tied
 * to the place that asked (`scope`: the sign-in interaction or the personal-area session), single use
 * and expiring. A credential lives in `second_factors` (kind `webauthn`) with its signature counter: an
 * assertion whose counter does not go forward is refused (unless both are 0, authenticators without one).
 */
import { randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransport, type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Account } from '../accounts/account.js';
import { loginName } from '../mail/account.js';
import type { Services } from '../services.js';
import type { Db } from '../storage/db.js';
import type { SecondFactorAmr } from './assurance.js';
import type { Method, Verified } from './second-factors.js';

const KIND = 'webauthn_challenge';
/** What a challenge was given for: adding a credential, or proving one. */
type Ceremony = 'register' | 'authenticate';
const CHALLENGE_TTL_MS = 5 * 60_000;
const RESPONSE_MAX = 16_384;

interface CredentialRow {
  id: string; account_id: string; kind: string; name: string; created_at: number | string; last_used_at: number | string | null;
  credential_id: string; public_key: string; sign_counter: number | string; transports: string | null;
}

const transportsOf = (r: CredentialRow) => (r.transports ? r.transports.split(',') as AuthenticatorTransport[] : undefined);

/** A posted response (JSON from the browser helper), or undefined when it is not one. */
export function parseResponse<T>(posted: string | undefined): T | undefined {
  if (!posted || posted.length > RESPONSE_MAX) return undefined;
  try {
    const v = JSON.parse(posted) as unknown;
    return v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? v as T : undefined;
  } catch {
    return undefined;
  }
}

/** The challenge the browser signed (clientDataJSON), to find its flow; undefined when unreadable. */
function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string | undefined {
  try {
    const data = JSON.parse(Buffer.from(String(response.response?.clientDataJSON), 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' ? data.challenge : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 8176: a key that can be copied off the device (a synced passkey) is a software key, else a hardware one. */
const amrOf = (backedUp: boolean): SecondFactorAmr => (backedUp ? 'swk' : 'hwk');

export class Passkeys {
  private readonly rpID: string;
  private readonly origin: string;

  constructor(private readonly s: Services, issuer: string) {
    const url = new URL(issuer);
    this.rpID = url.hostname;
    this.origin = url.origin;
  }

  private async credentials(accountId: string, trx: Db = this.s.db): Promise<CredentialRow[]> {
    return (await trx('second_factors').where({ account_id: accountId, kind: 'webauthn' }).orderBy('created_at')) as CredentialRow[];
  }

  async has(accountId: string): Promise<boolean> {
    return Boolean(await this.s.db('second_factors').where({ account_id: accountId, kind: 'webauthn' }).first('id'));
  }

  /**
   * A new challenge for `scope`. The account is named in its data, not as the flow's owner: an owned
   * flow would end the account's other open challenges, so a sign-in and the personal area open side
   * by side would spoil each other's (and the failure would count toward the lockout).
   * `ceremony`: what the challenge was given for. A sign-in challenge comes with pages anyone holding
   * the password can open; it must never be spent on adding a passkey, which needs the full re-proof.
   */
  private async challenge(accountId: string, scope: string, ceremony: Ceremony, data: Record<string, unknown> = {}): Promise<string> {
    const challenge = randomBytes(32).toString('base64url');
    await this.s.flows.start({ kind: KIND, accountId: null, token: challenge, data: { ...data, scope, accountId, ceremony }, ttlMs: CHALLENGE_TTL_MS });
    return challenge;
  }

  /** Spends the challenge the response signed, when it is this account's, for this ceremony at this scope, open; its data. */
  private async spend(accountId: string, scope: string, ceremony: Ceremony, response: object): Promise<{ challenge: string; data: Record<string, unknown> } | undefined> {
    const challenge = challengeOf(response as { response?: { clientDataJSON?: unknown } });
    const flow = challenge ? await this.s.flows.findByToken(KIND, challenge) : undefined;
    if (!flow || flow.data.accountId !== accountId || flow.data.scope !== scope || flow.data.ceremony !== ceremony) return undefined;
    if (!(await this.s.flows.consume(flow))) return undefined;
    return { challenge: challenge!, data: flow.data };
  }

  /** Options for adding a passkey named `name` (kept with the challenge). */
  async registrationOptions(account: Account, scope: string, name: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.credentials(account.id);
    const challenge = await this.challenge(account.id, scope, 'register', { name });
    return generateRegistrationOptions({
      rpName: 'Porta', rpID: this.rpID, userID: new TextEncoder().encode(account.id), userName: loginName(account),
      userDisplayName: account.givenName || loginName(account), challenge: Buffer.from(challenge, 'base64url'), attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: transportsOf(c) })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
  }

  /**
   * Checks a registration response against its challenge and stores the credential under the name
   * chosen with the options. undefined: not valid (or already registered). `first`: it is the account's
   * first method (the caller makes recovery codes).
   */
  async register(accountId: string, scope: string, response: RegistrationResponseJSON): Promise<{ method: Method; first: boolean } | undefined> {
    const spent = await this.spend(accountId, scope, 'register', response);
    if (!spent) return undefined;
    let info;
    try {
      const v = await verifyRegistrationResponse({
        response, expectedChallenge: spent.challenge, expectedOrigin: this.origin, expectedRPID: this.rpID, requireUserVerification: false,
      });
      if (!v.verified) return undefined;
      info = v.registrationInfo;
    } catch {
      return undefined;
    }
    const now = this.s.clock.now();
    const row = {
      id: randomBytes(16).toString('base64url'), account_id: accountId, kind: 'webauthn', name: String(spent.data.name), created_at: now, last_used_at: null,
      credential_id: info.credential.id, public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
      sign_counter: info.credential.counter, transports: info.credential.transports?.join(',') || null,
    };
    return this.s.db.transaction(async (trx) => {
      const first = !(await this.s.secondFactors.has(accountId, trx));
      if (await trx('second_factors').where({ credential_id: row.credential_id }).first('id')) return undefined;
      await trx('second_factors').insert(row);
      return { method: { id: row.id, accountId, kind: 'webauthn' as const, name: row.name, createdAt: now, lastUsedAt: null }, first };
    });
  }

  /** Options for proving one of the account's passkeys. */
  async authenticationOptions(accountId: string, scope: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const creds = await this.credentials(accountId);
    const challenge = await this.challenge(accountId, scope, 'authenticate');
    return generateAuthenticationOptions({
      rpID: this.rpID, challenge: Buffer.from(challenge, 'base64url'), userVerification: 'preferred',
      allowCredentials: creds.map((c) => ({ id: c.credential_id, transports: transportsOf(c) })),
    });
  }

  /**
   * Checks an assertion: its challenge (spent), one of the account's own credentials, the signature,
   * and a counter that went forward (stored atomically, so a replayed or cloned one loses the race).
   */
  async verify(accountId: string, scope: string, response: AuthenticationResponseJSON): Promise<Verified> {
    const spent = await this.spend(accountId, scope, 'authenticate', response);
    if (!spent) return { ok: false };
    const row = (await this.credentials(accountId)).find((c) => c.credential_id === response.id);
    if (!row) return { ok: false };
    const counter = Number(row.sign_counter);
    let info;
    try {
      const v = await verifyAuthenticationResponse({
        response, expectedChallenge: spent.challenge, expectedOrigin: this.origin, expectedRPID: this.rpID, requireUserVerification: false,
        credential: { id: row.credential_id, publicKey: Buffer.from(row.public_key, 'base64url'), counter, transports: transportsOf(row) },
      });
      if (!v.verified) return { ok: false };
      info = v.authenticationInfo;
    } catch {
      return { ok: false }; // includes a counter that went backwards
    }
    const now = this.s.clock.now();
    const took = await this.s.db('second_factors').where({ id: row.id, sign_counter: counter }).update({ sign_counter: info.newCounter, last_used_at: now });
    if (took !== 1) return { ok: false };
    return {
      ok: true, via: 'method', amr: amrOf(info.credentialBackedUp),
      method: { id: row.id, accountId, kind: 'webauthn', name: row.name, createdAt: Number(row.created_at), lastUsedAt: now },
    };
  }
}
