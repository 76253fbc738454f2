/**
 * oidc-provider's Adapter contract on knex: one table for every model it persists, expiry honoured on
 * read (the sweep deletes the rows later), consumption recorded, revocation by grant. Clients live in
 * their own table so the CLI can manage them.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { Db } from './db.js';
import { GroupCommit } from './group-commit.js';

const TABLE = 'oidc_payloads';

interface PayloadRow {
  payload: string;
  expires_at: number | string | null;
  consumed_at: number | string | null;
}

function toPayload(row: PayloadRow | undefined, now: number): AdapterPayload | undefined {
  if (!row) return undefined;
  if (row.expires_at !== null && Number(row.expires_at) <= now) return undefined;
  const payload = JSON.parse(row.payload) as AdapterPayload;
  if (row.consumed_at !== null) payload.consumed = Math.floor(Number(row.consumed_at) / 1000);
  return payload;
}

export class KnexAdapter implements Adapter {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly model: string,
    /** Writes go through it: one transaction for the writes of many concurrent requests. */
    private readonly writes: GroupCommit = new GroupCommit(db),
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const row = {
      model: this.model,
      id,
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      account_id: payload.accountId ?? null,
      expires_at: expiresIn ? this.clock.now() + expiresIn * 1000 : null,
      consumed_at: null,
    };
    await this.writes.run((q) => q(TABLE).insert(row).onConflict(['model', 'id']).merge());
  }

  private findWhere(where: Record<string, string>) {
    return this.db(TABLE).where({ model: this.model, ...where })
      .first('payload', 'expires_at', 'consumed_at') as Promise<PayloadRow | undefined>;
  }

  async find(id: string) {
    return toPayload(await this.findWhere({ id }), this.clock.now());
  }

  async findByUid(uid: string) {
    return toPayload(await this.findWhere({ uid }), this.clock.now());
  }

  async findByUserCode(userCode: string) {
    return toPayload(await this.findWhere({ user_code: userCode }), this.clock.now());
  }

  async consume(id: string): Promise<void> {
    const now = this.clock.now();
    await this.writes.run((q) => q(TABLE).where({ model: this.model, id }).whereNull('consumed_at').update({ consumed_at: now }));
  }

  async destroy(id: string): Promise<void> {
    await this.writes.run((q) => q(TABLE).where({ model: this.model, id }).delete());
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // Found by grant_id alone: given `model = ? AND grant_id = ?`, SQLite (no statistics) picked the
    // (model, user_code) index and read every row of the model — all of them, at a million sessions.
    await this.writes.run((q) => q(TABLE).where({ model: this.model })
      .whereIn(['model', 'id'], q(TABLE).select('model', 'id').where({ grant_id: grantId }))
      .delete());
  }
}

/**
 * Ends everything an account holds: sessions, grants, codes and tokens (password reset, disabling).
 * `keepSessionId` spares the session the person is using (a password change signs out the others).
 */
export async function revokeAccountData(db: Db, accountId: string, { keepSessionId }: { keepSessionId?: string } = {}): Promise<number> {
  const q = db(TABLE).where({ account_id: accountId });
  if (keepSessionId) q.whereNot((w) => w.where({ model: 'Session', id: keepSessionId }));
  return q.delete();
}

/** Clients added by `porta clients add` (those from the clients file are given to oidc-provider directly). */
export class ClientAdapter implements Adapter {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  async find(id: string) {
    const row = (await this.db('clients').where({ client_id: id }).first('metadata')) as { metadata: string } | undefined;
    return row ? (JSON.parse(row.metadata) as AdapterPayload) : undefined;
  }

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    const now = this.clock.now();
    await this.db('clients').insert({ client_id: id, metadata: JSON.stringify(payload), created_at: now, updated_at: now })
      .onConflict('client_id').merge(['metadata', 'updated_at']);
  }

  async destroy(id: string): Promise<void> {
    await this.db('clients').where({ client_id: id }).delete();
  }

  async findByUid() { return undefined; }
  async findByUserCode() { return undefined; }
  async consume() {}
  async revokeByGrantId() {}
}

export function adapterFactory(db: Db, clock: Clock) {
  const writes = new GroupCommit(db);
  return (model: string): Adapter => (model === 'Client' ? new ClientAdapter(db, clock) : new KnexAdapter(db, clock, model, writes));
}

/** How long one sweep batch may hold the connection (and, on SQLite, the event loop). */
const SWEEP_BATCH_MS = 5;

/**
 * Deletes expired rows in batches, letting requests in between. A batch is bounded by time as well as
 * by `maxBatchSize` rows: deleting a row costs more in a large database (its index pages are out of
 * cache), so the batch shrinks until one takes about SWEEP_BATCH_MS, and grows back when they are quick.
 * Returns how many rows went.
 */
export async function sweepExpired(db: Db, clock: Clock, maxBatchSize: number): Promise<number> {
  let total = 0;
  let batchSize = Math.min(maxBatchSize, 50);
  for (;;) {
    const now = clock.now();
    const started = performance.now();
    const deleted = await db(TABLE)
      .whereIn(['model', 'id'], db(TABLE).select('model', 'id').where('expires_at', '<=', now).limit(batchSize))
      .delete();
    const ms = performance.now() - started;
    total += deleted;
    if (deleted < batchSize) return total;
    const scaled = Math.floor(batchSize * Math.min(2, SWEEP_BATCH_MS / Math.max(ms, 0.1)));
    batchSize = Math.max(1, Math.min(maxBatchSize, scaled));
    // Let waiting requests in between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
