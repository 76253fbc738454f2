/**
 * A PostgreSQL database of the bench's own on the server BENCH_POSTGRES_URL names (default: the local server the
 * tests use, when it answers), dropped afterwards. Without a server the PostgreSQL part is skipped, not failed.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const serverUrl = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The URL of a fresh database, or undefined (with the reason) when no server answers. */
export async function createBenchDatabase(): Promise<{ url?: string; reason?: string }> {
  const name = `porta_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
  } catch (err) {
    return { reason: `no PostgreSQL at ${new URL(serverUrl).host} (${(err as Error).message}); set BENCH_POSTGRES_URL` };
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString() };
}

export async function dropBenchDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^porta_bench_\w+$/.test(name)) return;
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
