/**
 * The knex connection. SQLite (better-sqlite3) by default; a postgres:// URL selects PostgreSQL.
 * Every query in Porta goes through knex, never SQLite-specific SQL, so both work. The one exception
 * is oidc-provider's adapter, whose few statements (plain SQL both understand) run directly on the
 * SQLite connection when they can: see sqliteConnection().
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from '../../db/migrations/index.js';
import type { Logger } from '../logger.js';

export type Db = Knex;

// PostgreSQL's bigint (timestamps in epoch ms, count(*)) arrives as a string by default; Porta's values
// are far inside Number's safe range, and SQLite answers numbers: the same type on both.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export interface DatabaseOptions {
  /** PostgreSQL: most connections this process holds (SQLite always uses one). */
  databasePoolMax?: number;
  /** PostgreSQL: a statement running longer is cancelled (0: no limit). */
  databaseStatementTimeoutMs?: number;
  /** Where knex's own warnings go (a discarded broken connection, …); without it, the console. */
  logger?: Pick<Logger, 'warn' | 'error' | 'debug'>;
}

const sqliteConnections = new WeakMap<Db, { current?: Database }>();

/**
 * The better-sqlite3 connection behind a SQLite knex instance (its pool holds exactly one), when a
 * statement may run on it directly: open, and not inside a transaction someone is running through knex
 * (a statement run now would become part of it). Otherwise undefined: go through knex.
 */
export function sqliteConnection(db: Db): Database | undefined {
  const conn = sqliteConnections.get(db)?.current;
  return conn?.open && !conn.inTransaction ? conn : undefined;
}

/**
 * The unique index a failed insert or update hit, or undefined for any other error. Only the
 * constraint part is read: knex's message also carries the whole SQL, which names every column.
 */
export function uniqueViolation(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string; constraint?: string };
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return /constraint failed: (.*)$/.exec(e.message ?? '')?.[1] ?? '';
  if (e.code === '23505') return e.constraint ?? '';
  return undefined;
}

export const isUniqueViolation = (err: unknown): boolean => uniqueViolation(err) !== undefined;

export function sqlitePath(url: string): string | undefined {
  if (/^postgres(ql)?:\/\//.test(url)) return undefined;
  return url.replace(/^sqlite:(\/\/)?/, '').replace(/^file:/, '');
}

/** A failed query's message carries its SQL with `?` placeholders, never the bound values (hashes, emails, tokens). */
const NO_VALUES_IN_ERRORS = { compileSqlOnError: false } as const;

export function openDatabase(url: string, options: DatabaseOptions = {}): Db {
  const file = sqlitePath(url);
  if (file === undefined) return openPostgres(url, options);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const holder: { current?: Database } = {};
  const db = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    ...NO_VALUES_IN_ERRORS,
    // better-sqlite3 is synchronous: one connection serialises writes without SQLITE_BUSY inside a process.
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: Database, done: (err: Error | null, conn: unknown) => void) {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('foreign_keys = ON');
          // Other processes (CLI, extra workers) may hold the write lock briefly.
          conn.pragma('busy_timeout = 5000');
          conn.pragma('synchronous = NORMAL');
          // 16 MiB of page cache instead of SQLite's 2 MiB: at a million sessions the upper levels of
          // oidc_payloads' B-trees alone outgrow 2 MiB, and every token request walks them.
          conn.pragma('cache_size = -16384');
          cachePreparedStatements(conn);
          holder.current = conn;
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
  sqliteConnections.set(db, holder);
  return db;
}

/**
 * TLS comes from the URL (`?sslmode=require|verify-full`, `sslrootcert=…`), as libpq reads it. A connection
 * the server drops (restart, failover, pg_terminate_backend) is never fatal: knex listens for its 'error'
 * (an unhandled one would end the process) and discards it, the pool opens a fresh one, and a statement
 * that met the dead connection runs again on a fresh one when that cannot do anything twice
 * (retryLostConnections).
 */
function openPostgres(url: string, { databasePoolMax = 10, databaseStatementTimeoutMs = 0, logger }: DatabaseOptions): Db {
  const db = knexFactory({
    ...(logger ? { log: { warn: (message: string) => logger.warn({ knex: message }, 'database warning'), error: (message: string) => logger.error({ knex: message }, 'database error'), deprecate: () => undefined, debug: (message: string) => logger.debug({ knex: message }, 'database debug') } } : {}),
    client: 'pg',
    connection: { connectionString: url, ...(databaseStatementTimeoutMs ? { statement_timeout: databaseStatementTimeoutMs } : {}) },
    pool: { min: 0, max: databasePoolMax },
    acquireConnectionTimeout: 10_000,
    ...NO_VALUES_IN_ERRORS,
  });
  retryLostConnections(db);
  return db;
}

/** SQLSTATEs of a server process that ended (admin_shutdown, crash_shutdown, cannot_connect_now). */
const BACKEND_GONE = new Set(['57P01', '57P02', '57P03']);
const SOCKET_BROKE = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** pg's own words for a connection that closed under it, or one already broken when asked. */
const CONNECTION_ENDED = /Connection terminated|not queryable|Connection closed/i;

/** The connection a statement ran on was lost (as opposed to the statement failing). */
export function lostConnection(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && (BACKEND_GONE.has(code) || SOCKET_BROKE.has(code))) || (typeof message === 'string' && CONNECTION_ENDED.test(message));
}

/**
 * The database could not serve the request: its connection was lost, or none could be had (the server
 * is down or refuses, or the pool stayed full for acquireConnectionTimeout). Answered 503, not 500.
 */
export function databaseUnavailable(err: unknown): boolean {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  return lostConnection(err) || code === 'ECONNREFUSED' || name === 'KnexTimeoutError';
}

/**
 * Lost before the statement could change anything: the server process had ended (it answers with a
 * 57P0x error instead of running the statement, and a statement it was running is rolled back with it —
 * PostgreSQL does not act on the termination while it commits, and answers a committed statement before
 * it next looks), or pg never sent it (the client was already broken). A reset socket is not proof: the
 * statement may have run.
 */
function lostBeforeEffects(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && BACKEND_GONE.has(code)) || (typeof message === 'string' && /not queryable/i.test(message));
}

/** A statement that only reads: running it twice is the same as once. */
const READS = /^\s*(select|show)\b/i;

/** After a restart every pooled connection may be dead: a statement may meet a few in a row. */
export const LOST_CONNECTION_RETRIES = 3;

type QueryObject = { sql?: string; method?: string };
type RunsQueries = { _query(connection: unknown, obj: QueryObject): Promise<unknown> };

/**
 * Runs a statement again on a fresh connection when its connection was lost, so a restart, failover or
 * pg_terminate_backend of idle connections costs no request. Outside transactions: a read whatever the
 * loss, a write only when lost before it could have had effects (lostBeforeEffects). A transaction runs
 * again when its connection was lost at BEGIN, before any of its work ran. Anything else fails as before
 * (a lost connection in mid-transaction rolls it back; the request answers 503).
 */
function retryLostConnections(db: Db): void {
  // knex runs transactions on a client made from the prototype, so this covers single statements only.
  const client = db.client as Knex.Client & RunsQueries;
  const query = client._query.bind(client);
  const retrySafe = (obj: QueryObject, err: unknown) => (READS.test(obj.sql ?? '') ? lostConnection(err) : lostBeforeEffects(err));
  client._query = async (connection, obj) => {
    try {
      return await query(connection, obj);
    } catch (err) {
      if (!retrySafe(obj, err)) throw err;
      // Its pool slot back at once (the pool then discards it): after a restart every request in flight
      // holds a dead connection, and would otherwise wait for the one another holds.
      (connection as { __knex__disposed?: unknown }).__knex__disposed ??= err;
      await client.releaseConnection(connection);
    }
    for (let retry = 1; ; retry++) {
      const fresh = await client.acquireConnection();
      try {
        return await query(fresh, obj);
      } catch (err) {
        if (!retrySafe(obj, err) || retry === LOST_CONNECTION_RETRIES) throw err;
      } finally {
        await client.releaseConnection(fresh);
      }
    }
  };
  // Every db.transaction(…) goes through client.transaction (nested ones through their own client).
  const transaction = client.transaction.bind(client) as unknown as (container: unknown, config: unknown, outerTx: unknown) => PromiseLike<unknown>;
  (client as { transaction: unknown }).transaction = (container: (trx: unknown) => unknown, config: unknown, outerTx: unknown) => {
    const run = async (retries: number): Promise<unknown> => {
      let began = false;
      try {
        return await transaction((trx: Knex.Transaction) => {
          // knex runs the work even when BEGIN failed (the transaction is then already complete); skip it,
          // so that work runs only once, and the transaction answers BEGIN's error.
          if (trx.isCompleted()) return Promise.reject(new Error('BEGIN failed'));
          began = true;
          return container(trx);
        }, config, outerTx);
      } catch (err) {
        if (began || !lostConnection(err) || retries === LOST_CONNECTION_RETRIES) throw err;
        return run(retries + 1);
      }
    };
    return run(0);
  };
}

/**
 * knex prepares every statement anew; compiling the SQL was a tenth of a token request (bench/RESULTS.md).
 * Porta's queries are a small fixed set, so the connection keeps the most recent few hundred. knex only
 * runs them to completion (all/run), so a statement is never busy when it is handed out again.
 */
function cachePreparedStatements(conn: Database, size = 256) {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, ReturnType<Database['prepare']>>();
  conn.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (cache.size >= size) cache.delete(cache.keys().next().value!);
    } else {
      cache.delete(sql); // most recently used last
    }
    cache.set(sql, statement);
    return statement;
  }) as Database['prepare'];
}

/** Any fixed number: the PostgreSQL advisory lock that instances starting together queue on to migrate. */
const MIGRATION_LOCK = 7_120_413;
/** How long an instance waits for another one's migrations before it gives up (and fails to start). */
const MIGRATION_WAIT_MS = 120_000;

/**
 * Applies pending migrations; answers their names. On PostgreSQL several instances may start at once:
 * each takes an advisory lock first, so one migrates and the others wait, then find nothing to do
 * (knex's own lock row makes a second migrator fail rather than wait, and creating its tables races).
 */
export async function migrate(db: Db, { waitMs = MIGRATION_WAIT_MS } = {}): Promise<string[]> {
  await assertWritable(db);
  const latest = async () => ((await db.migrate.latest({ migrationSource })) as [number, string[]])[1];
  if (db.client.config.client !== 'pg') return latest();
  // On a connection of its own, held until the migrations are done (a session-level lock).
  const conn = (await db.client.acquireConnection()) as pg.Client;
  try {
    const deadline = Date.now() + waitMs;
    while (!(await conn.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK])).rows[0]!.locked) {
      if (Date.now() > deadline) throw new Error(`another instance has been migrating the database for over ${waitMs / 1000} s; start again when it is done`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    try {
      return await latest();
    } finally {
      await conn.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await db.client.releaseConnection(conn);
  }
}

/** The database cannot be written: said as such, before knex would report it as a locked migration table. */
export class DatabaseNotWritable extends Error {
  override name = 'DatabaseNotWritable';
}

const writable = (path: string) => {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * Run before migrating (server, cluster primary, CLI). SQLite writes the file and creates its -wal and
 * -shm files next to it; PostgreSQL may give a read-only session (default_transaction_read_only, a
 * standby, a read-only role setting).
 */
async function assertWritable(db: Db): Promise<void> {
  if (db.client.config.client === 'pg') {
    const { rows } = (await db.raw('SHOW transaction_read_only')) as { rows: { transaction_read_only: string }[] };
    if (rows[0]?.transaction_read_only === 'on') {
      const { database, host } = await db.raw('SELECT current_database() AS database, inet_server_addr() AS host').then((r: { rows: { database: string; host: string | null }[] }) => r.rows[0]!);
      throw new DatabaseNotWritable(`the database ${database} at ${host ?? 'the local socket'} is read-only: its sessions are read-only transactions (default_transaction_read_only is on, for the database or the role, or the server is a standby); point DATABASE_URL at a writable primary`);
    }
    return;
  }
  const file = (db.client.config.connection as { filename: string }).filename;
  if (file === ':memory:') return;
  const path = resolve(file);
  if (existsSync(path) && !writable(path)) {
    throw new DatabaseNotWritable(`the database at ${path} is read-only: this process (uid ${process.getuid?.() ?? '?'}) may not write the file; give it write permission`);
  }
  if (!writable(dirname(path))) {
    throw new DatabaseNotWritable(`the database at ${path} is read-only: this process (uid ${process.getuid?.() ?? '?'}) may not write its directory ${dirname(path)}, where SQLite creates the database and its -wal and -shm files`);
  }
}

/** True when every migration Porta ships has been applied. */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  const [, pending] = (await db.migrate.list({ migrationSource })) as [unknown[], unknown[]];
  return pending.length === 0;
}

const HEARTBEAT = { model: 'ReadinessHeartbeat', id: 'heartbeat' };

/**
 * Readiness must prove a write: on a full disk or a read-only file every read still works. The row
 * lives among oidc-provider's payloads with a short expiry, so the sweep removes it when probes stop.
 */
export async function proveWrite(db: Db, now: number): Promise<void> {
  await db('oidc_payloads').insert({ ...HEARTBEAT, payload: JSON.stringify({ at: now }), expires_at: now + 60_000 })
    .onConflict(['model', 'id']).merge(['payload', 'expires_at']);
}
