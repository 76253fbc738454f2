/**
 * A database Porta cannot write is named as such at start (not as knex's "migration table is already
 * locked"): the real process, on a read-only SQLite file or directory, or a read-only PostgreSQL database.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { fromRoot } from '../src/paths.js';
import { createTestDatabase, dropTestDatabase, onPostgres } from './helpers/database.js';

/** Starts `porta` (src/main.ts) on the database; as root, as `nobody`, for whom file permissions hold. */
function startProcess(databaseUrl: string, dir: string) {
  const asRoot = process.getuid?.() === 0;
  const result = spawnSync(process.execPath, ['--import', 'tsx', fromRoot('src/main.ts')], {
    env: {
      PATH: process.env.PATH, HOME: dir, NODE_OPTIONS: '', NODE_ENV: 'test', DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1',
      LOG_LEVEL: 'silent', CLIENTS_FILE: fromRoot('test/fixtures/clients.json'), MAIL_DIR: join(dir, 'mail'), TSX_TSCONFIG_PATH: fromRoot('tsconfig.json'),
    },
    cwd: fromRoot(), encoding: 'utf8', timeout: 60_000, ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  // Not started at all (e.g. `nobody` may not reach the node binary or the project): say so, not "stderr undefined".
  if (result.error) throw new Error(`could not run porta${asRoot ? ' as nobody' : ''}: ${result.error.message}`);
  return result;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'porta-ro-'));
  chmodSync(dir, 0o755);
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

test('a read-only SQLite file: the process says so and exits 1', () => {
  const file = join(dir, 'porta.sqlite');
  writeFileSync(file, '');
  chmodSync(file, 0o444);
  chmodSync(dir, 0o555);
  const result = startProcess(file, dir);
  expect(result.stderr).toMatch(new RegExp(`(^|\\n)porta: the database at ${file.replace(/\./g, '\\.')} is read-only: this process \\(uid \\d+\\) may not write the file; give it write permission\\n`));
  expect(result.stderr).not.toContain('migration');
  expect(result.status).toBe(1);
}, 90_000);

test('a SQLite file in a directory Porta may not write: the process says so and exits 1', () => {
  const file = join(dir, 'porta.sqlite');
  writeFileSync(file, '');
  chmodSync(file, 0o666);
  chmodSync(dir, 0o555);
  const result = startProcess(file, dir);
  expect(result.stderr).toMatch(new RegExp(`(^|\\n)porta: the database at ${file.replace(/\./g, '\\.')} is read-only: this process \\(uid \\d+\\) may not write its directory ${dir.replace(/\./g, '\\.')}, where SQLite creates the database and its -wal and -shm files\\n`));
  expect(result.status).toBe(1);
}, 90_000);

(onPostgres ? test : test.skip)('a PostgreSQL database whose sessions are read-only: the process says so and exits 1', async () => {
  const url = await createTestDatabase(dir);
  try {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const name = new URL(url).pathname.slice(1);
    await client.query(`ALTER DATABASE "${name}" SET default_transaction_read_only = on`);
    await client.end();
    const result = startProcess(url, dir);
    expect(result.stderr).toMatch(new RegExp(`(^|\\n)porta: the database ${name} at .+ is read-only: its sessions are read-only transactions \\(default_transaction_read_only is on`));
    expect(result.status).toBe(1);
  } finally {
    await dropTestDatabase(url);
  }
}, 90_000);
