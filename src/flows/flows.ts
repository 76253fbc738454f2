/**
 * Self-service flows (activation, password setting and reset, email change, access codes): objects
 * with a kind, a state, an expiry and the hash of a single-use token, kept in one table.
 * Load → assertUsable(flow, now) → advance → save. Expired and already-used are different answers.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Db } from '../storage/db.js';
import { derivedKey } from '../secrets.js';

export type FlowKind = 'activation' | 'set_password' | 'password_reset' | 'email_change' | 'access_code' | 'email_verify' | 'mfa_enrolment' | 'webauthn_challenge';

export interface Flow<D = Record<string, unknown>> {
  id: string;
  kind: FlowKind;
  state: string;
  accountId: string | null;
  data: D;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

interface FlowRow { id: string; kind: string; state: string; account_id: string | null; data: string | null; created_at: number | string; expires_at: number | string; consumed_at: number | string | null }

const fromRow = <D>(r: FlowRow): Flow<D> => ({
  id: r.id, kind: r.kind as FlowKind, state: r.state, accountId: r.account_id, data: (r.data ? JSON.parse(r.data) : {}) as D,
  createdAt: Number(r.created_at), expiresAt: Number(r.expires_at), consumedAt: r.consumed_at === null ? null : Number(r.consumed_at),
});

/**
 * The stored form of a token: an HMAC-SHA256 of the purpose-prefixed token (a token of one kind never
 * opens another) under a key derived from KEYS_ENCRYPTION_SECRET, so a copy of the database without the
 * secret cannot confirm a guess (access codes have only 40 bits). Access codes and link tokens have keys
 * of their own. Development with an empty secret derives a fixed key; production refuses an empty one.
 */
export class TokenHasher {
  private readonly keys: Record<'link' | 'access_code', Buffer>;

  constructor(secret: string) {
    this.keys = { link: derivedKey(secret, 'flow-link-tokens'), access_code: derivedKey(secret, 'access-codes') };
  }

  hash(kind: FlowKind, token: string): string {
    return createHmac('sha256', this.keys[kind === 'access_code' ? 'access_code' : 'link']).update(`${kind}:${token}`).digest('hex');
  }

  /**
   * The stored forms a row may have: the keyed one, then the unkeyed SHA-256 rows written before keyed
   * hashing had. Remove the legacy form once every flow started before the upgrade has expired (the
   * longest lifetime is ACCESS_CODE_TTL_DAYS after the upgrade).
   */
  candidates(kind: FlowKind, token: string): [keyed: string, legacy: string] {
    return [this.hash(kind, token), legacyHash(kind, token)];
  }
}

/** Before keyed hashing: the plain SHA-256 of the purpose-prefixed token. Only read, never written. */
const legacyHash = (kind: FlowKind, token: string) => createHash('sha256').update(`${kind}:${token}`).digest('hex');

/** The flows `endPending` ends. */
const PENDING_ON_TAKEOVER: FlowKind[] = ['email_change', 'password_reset'];

export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function assertUsable(flow: Flow<unknown> | undefined, now: number): asserts flow is Flow<unknown> {
  if (!flow) throw new AppError('flow.invalid', 404);
  if (flow.state === 'superseded') throw new AppError('flow.superseded', 410);
  if (flow.state === 'cancelled') throw new AppError('flow.cancelled', 410);
  if (flow.consumedAt !== null) throw new AppError('flow.used', 410);
  if (flow.expiresAt <= now) throw new AppError('flow.expired', 410);
}

export class Flows {
  constructor(private readonly db: Db, private readonly clock: Clock, readonly tokens: TokenHasher) {}

  /**
   * Starts a flow and returns its token (256 random bits, shown once, never stored).
   * Earlier open flows of the same kind for the account stop working.
   */
  async start<D extends Record<string, unknown>>(input: { kind: FlowKind; accountId: string | null; ttlMs: number; data?: D; state?: string; token?: string }, trx: Db = this.db): Promise<{ flow: Flow<D>; token: string }> {
    const now = this.clock.now();
    const token = input.token ?? randomBytes(32).toString('base64url');
    if (input.accountId) await this.supersede(input.accountId, input.kind, trx);
    const row = {
      id: randomBytes(16).toString('base64url'), kind: input.kind, state: input.state ?? 'open', account_id: input.accountId,
      token_hash: this.tokens.hash(input.kind, token), data: JSON.stringify(input.data ?? {}), created_at: now, expires_at: now + input.ttlMs, consumed_at: null,
    };
    await trx('flows').insert(row);
    return { flow: fromRow<D>(row), token };
  }

  async findByToken<D = Record<string, unknown>>(kind: FlowKind, token: unknown, trx: Db = this.db): Promise<Flow<D> | undefined> {
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return undefined;
    const row = (await trx('flows').whereIn('token_hash', this.tokens.candidates(kind, token)).where({ kind }).first()) as FlowRow | undefined;
    return row && fromRow<D>(row);
  }

  /** Is `token` the flow's own (a short code the person typed, compared in constant time)? */
  async tokenMatches(flow: Flow<unknown>, token: string, trx: Db = this.db): Promise<boolean> {
    const row = (await trx('flows').where({ id: flow.id }).first('token_hash')) as { token_hash: string } | undefined;
    return Boolean(row) && timingSafeEqual(Buffer.from(this.tokens.hash(flow.kind, token)), Buffer.from(row!.token_hash));
  }

  async findOpen<D = Record<string, unknown>>(accountId: string, kind: FlowKind, trx: Db = this.db): Promise<Flow<D> | undefined> {
    const row = (await trx('flows').where({ account_id: accountId, kind }).whereNull('consumed_at').where('expires_at', '>', this.clock.now())
      .orderBy('created_at', 'desc').first()) as FlowRow | undefined;
    return row && fromRow<D>(row);
  }

  /** Marks the flow used, atomically: only one of two racing requests wins. */
  async consume(flow: Flow<unknown>, state = 'done', trx: Db = this.db): Promise<boolean> {
    const updated = await trx('flows').where({ id: flow.id }).whereNull('consumed_at').where('expires_at', '>', this.clock.now())
      .update({ consumed_at: this.clock.now(), state });
    return updated === 1;
  }

  async update(flow: Flow<unknown>, changes: { state?: string; data?: Record<string, unknown> }, trx: Db = this.db): Promise<void> {
    await trx('flows').where({ id: flow.id }).update({
      ...(changes.state ? { state: changes.state } : {}),
      ...(changes.data ? { data: JSON.stringify(changes.data) } : {}),
    });
  }

  /** Open flows of this kind for the account stop working (a new link replaces the old). */
  async supersede(accountId: string, kind: FlowKind, trx: Db = this.db): Promise<void> {
    await trx('flows').where({ account_id: accountId, kind }).whereNull('consumed_at').update({ consumed_at: this.clock.now(), state: 'superseded' });
  }

  /**
   * Ends the account's pending flows someone holding its session or mailbox could have started — an
   * email change waiting for its confirmation, a reset link — when the owner takes the account back
   * (password reset or change, "it wasn't me") or it is disabled. "It wasn't me" links belong to no
   * account and stay: they are the owner's.
   */
  async endPending(accountId: string, trx: Db = this.db): Promise<void> {
    await endPendingFlows(trx, accountId, this.clock.now());
  }

  /** Deletes flows that ended (expired or used) more than `keepMs` ago; recent ones stay to answer their links. */
  async sweep(keepMs: number, trx: Db = this.db): Promise<number> {
    const cutoff = this.clock.now() - keepMs;
    return trx('flows').where('expires_at', '<', cutoff).orWhere('consumed_at', '<', cutoff).delete();
  }

  /** How many flows of this kind were started for the account since `sinceMs` (for per-account limits). */
  async countSince(accountId: string, kind: FlowKind, sinceMs: number, trx: Db = this.db): Promise<number> {
    const row = (await trx('flows').where({ account_id: accountId, kind }).where('created_at', '>=', sinceMs).count({ n: '*' }).first()) as { n: number | string };
    return Number(row.n);
  }
}

/** Flows.endPending for callers that hold no Flows (src/storage/account-admin.ts). */
export async function endPendingFlows(trx: Db, accountId: string, now: number): Promise<void> {
  await trx('flows').where({ account_id: accountId }).whereIn('kind', PENDING_ON_TAKEOVER).whereNull('consumed_at')
    .update({ consumed_at: now, state: 'cancelled' });
}
