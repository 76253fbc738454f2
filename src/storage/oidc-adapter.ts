/**
 * oidc-provider's Adapter contract on knex: one table for every model it persists, expiry honoured on
 * read (the sweep deletes the rows later), consumption recorded, revocation by grant. Clients live in
 * their own table so the CLI can manage them.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { Db } from './db.js';
import { GroupCommit } from './group-commit.js';
import { getRow } from './statements.js';

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

const COLUMNS = 'payload, expires_at, consumed_at';
const UPSERT = `INSERT INTO ${TABLE} (model, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
  ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
    user_code = excluded.user_code, uid = excluded.uid, account_id = excluded.account_id,
    expires_at = excluded.expires_at, consumed_at = NULL`;

/** oidc-provider's sessions, grants, codes and tokens, in plain SQL (src/storage/statements.ts). */
export class KnexAdapter implements Adapter {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly model: string,
    /** Writes go through it: one transaction for the writes of many concurrent requests. */
    private readonly writes: GroupCommit = new GroupCommit(db),
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    await this.writes.run({
      sql: UPSERT,
      bindings: [
        this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null,
        payload.accountId ?? null, expiresIn ? this.clock.now() + expiresIn * 1000 : null,
      ],
    });
  }

  private async findBy(column: 'id' | 'uid' | 'user_code', value: string) {
    const row = await getRow<PayloadRow>(this.db, { sql: `SELECT ${COLUMNS} FROM ${TABLE} WHERE model = ? AND ${column} = ? LIMIT 1`, bindings: [this.model, value] });
    return toPayload(row, this.clock.now());
  }

  find(id: string) {
    return this.findBy('id', id);
  }

  findByUid(uid: string) {
    return this.findBy('uid', uid);
  }

  findByUserCode(userCode: string) {
    return this.findBy('user_code', userCode);
  }

  async consume(id: string): Promise<void> {
    await this.writes.run({ sql: `UPDATE ${TABLE} SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL`, bindings: [this.clock.now(), this.model, id] });
  }

  async destroy(id: string): Promise<void> {
    await this.writes.run({ sql: `DELETE FROM ${TABLE} WHERE model = ? AND id = ?`, bindings: [this.model, id] });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // Found by grant_id alone: given `model = ? AND grant_id = ?`, SQLite (no statistics) may pick
    // another index on model and read every row of the model — all of them, at a million sessions.
    await this.writes.run({
      sql: `DELETE FROM ${TABLE} WHERE model = ? AND (model, id) IN (SELECT model, id FROM ${TABLE} WHERE grant_id = ?)`,
      bindings: [this.model, grantId],
    });
  }
}

/** The grants (one per person and client) a client holds, optionally only one person's. */
export async function clientGrants(db: Db, clientId: string, accountId?: string): Promise<{ grantId: string; accountId: string }[]> {
  const q = db(TABLE).where({ model: 'Grant' }).select('id', 'payload');
  if (accountId) q.where({ account_id: accountId });
  const rows = (await q) as { id: string; payload: string }[];
  return rows.map((r) => ({ grantId: r.id, ...(JSON.parse(r.payload) as { clientId?: string; accountId: string }) }))
    .filter((g) => g.clientId === clientId).map((g) => ({ grantId: g.grantId, accountId: g.accountId }));
}

/** Ends grants and what was issued under them (refresh and access tokens, codes). Returns how many grants ended. */
export async function revokeGrants(db: Db, grantIds: readonly string[]): Promise<number> {
  let ended = 0;
  // In slices: SQLite and PostgreSQL both bound the number of bindings of one statement.
  for (let i = 0; i < grantIds.length; i += 500) {
    const slice = grantIds.slice(i, i + 500);
    await db(TABLE).whereIn('grant_id', slice).delete();
    ended += await db(TABLE).where({ model: 'Grant' }).whereIn('id', slice).delete();
  }
  return ended;
}

/** Clients added by `porta clients add` (those from the clients file are given to oidc-provider directly). */
export class ClientAdapter implements Adapter {
  /** `refuse`: says why a stored client must not be served (production: a weak secret), or undefined. */
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly refuse: (metadata: AdapterPayload) => string | undefined = () => undefined) {}

  async find(id: string) {
    const row = (await this.db('clients').where({ client_id: id }).first('metadata')) as { metadata: string } | undefined;
    const metadata = row ? (JSON.parse(row.metadata) as AdapterPayload) : undefined;
    // Unknown to oidc-provider: the service gets invalid_client, as for a client that does not exist.
    return metadata && !this.refuse(metadata) ? metadata : undefined;
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

export function adapterFactory(db: Db, clock: Clock, refuseClient?: (metadata: AdapterPayload) => string | undefined) {
  const writes = new GroupCommit(db);
  return (model: string): Adapter => (model === 'Client' ? new ClientAdapter(db, clock, refuseClient) : new KnexAdapter(db, clock, model, writes));
}
