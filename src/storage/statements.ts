/**
 * Plain SQL for the hottest queries (oidc-provider's adapter): run directly on the SQLite connection
 * when it is free, else through knex.raw (PostgreSQL, or SQLite while a knex transaction holds the
 * connection). knex's query builder and pool cost as much as these point reads and writes themselves
 * (bench/RESULTS.md); the SQL is standard, so both databases run the same text.
 */
import { sqliteConnection, type Db } from './db.js';

export interface Statement {
  sql: string;
  bindings: readonly (string | number | null)[];
}

/** The first row, or undefined. */
export async function getRow<T>(db: Db, { sql, bindings }: Statement): Promise<T | undefined> {
  const conn = sqliteConnection(db);
  if (conn) return conn.prepare(sql).get(...bindings) as T | undefined;
  const result = (await db.raw(sql, bindings as never)) as T[] | { rows: T[] };
  return (Array.isArray(result) ? result : result.rows)[0];
}

/** Runs statements in one transaction; answers each one's count of changed rows. */
export async function runInTransaction(db: Db, statements: readonly Statement[]): Promise<number[]> {
  const conn = sqliteConnection(db);
  if (conn) {
    return conn.transaction(() => statements.map(({ sql, bindings }) => conn.prepare(sql).run(...bindings).changes))();
  }
  return db.transaction(async (trx) => {
    const changes: number[] = [];
    for (const { sql, bindings } of statements) changes.push(rowCount(await trx.raw(sql, bindings as never)));
    return changes;
  });
}

/** better-sqlite3 through knex.raw answers an array (or run info); pg answers { rowCount }. */
function rowCount(result: unknown): number {
  const r = result as { rowCount?: number; changes?: number };
  return r.rowCount ?? r.changes ?? 0;
}
