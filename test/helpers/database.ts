/**
 * The database a test runs on, chosen by one environment variable: unset, a SQLite file in the test's
 * temp dir; `PORTA_TEST_DATABASE_URL=postgres://…` (a server the tests may create databases on), a fresh
 * PostgreSQL database of its own, dropped afterwards. Other test runs may share the server, so the name
 * carries this process's pid and a random part.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';

export const testServerUrl = process.env.PORTA_TEST_DATABASE_URL || undefined;
export const onPostgres = testServerUrl !== undefined;

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testServerUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty database (or the SQLite file in `dir`). */
export async function createTestDatabase(dir: string): Promise<string> {
  if (!testServerUrl) return join(dir, 'porta.sqlite');
  const name = `porta_test_${process.pid}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(testServerUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by createTestDatabase (a SQLite file goes with its temp dir). */
export async function dropTestDatabase(url: string): Promise<void> {
  if (!testServerUrl || !/^postgres/.test(url)) return;
  const name = new URL(url).pathname.slice(1);
  if (!/^porta_test_\w+$/.test(name)) return;
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** For tests that are about SQLite itself (its file, WAL, backup, worker-thread sweep). */
export function sqliteOnlyTest(name: string, fn: () => Promise<void>, timeout?: number) {
  (onPostgres ? test.skip : test)(name, fn, timeout);
}
