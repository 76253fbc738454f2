/** `porta backup FILE`: an online, consistent copy that Porta can be restored from. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/cli/run.js';
import { openDatabase } from '../src/storage/db.js';
import { Browser } from './helpers/browser.js';
import { sqliteOnlyTest } from './helpers/database.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp } from './helpers/rp.js';

let porta: TestPorta;
afterEach(() => porta?.stop());

async function cli(args: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: { NODE_ENV: 'test', CLIENTS_FILE: '', ...env } });
  return { code, out: out.join(''), err: err.join('') };
}

// `porta backup` copies a SQLite file; a PostgreSQL database is backed up with pg_dump.
sqliteOnlyTest('a backup taken while serving holds the data, and Porta runs from it', async () => {
  porta = await startPorta();
  const account = await porta.createAccount();
  const env = { DATABASE_URL: join(porta.dir, 'porta.sqlite') };
  // Outside Porta's folder, which stop() removes.
  const backups = mkdtempSync(join(tmpdir(), 'porta-backup-'));
  const file = join(backups, 'backup.sqlite');

  const done = await cli(['backup', file], env);
  expect(done).toMatchObject({ code: 0, err: '' });
  expect(done.out).toMatch(/^backup written to .*backup\.sqlite \(\d+ bytes\)\n$/);

  const copy = openDatabase(file);
  expect(await copy.raw('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  expect(await copy('accounts').where({ id: account.id }).first('username')).toEqual({ username: account.username });
  await copy.destroy();

  // Restore: run Porta on the copy and sign in.
  await porta.stop();
  porta = await startPorta({ databaseUrl: file });
  const rp = await fixtureRp(porta.issuer, 'admissions');
  const browser = new Browser(porta.issuer);
  const page = await browser.go((await rp.authorize()).url);
  const back = await browser.submit(page, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
  expect(back.location).toMatch(/\?code=/);
  rmSync(backups, { recursive: true, force: true });
});

sqliteOnlyTest('backup refuses to overwrite a file or to run without one', async () => {
  porta = await startPorta();
  const env = { DATABASE_URL: join(porta.dir, 'porta.sqlite') };
  const existing = join(porta.dir, 'exists.sqlite');
  writeFileSync(existing, 'keep me');
  expect(await cli(['backup', existing], env)).toMatchObject({ code: 2, err: `porta: ${existing} already exists; choose a new file name\n` });
  expect(await cli(['backup'], env)).toMatchObject({ code: 2 });
  expect((await cli(['backup', join(porta.dir, 'no/such/dir/x.sqlite')], env)).err).toMatch(/does not exist/);
  expect(existsSync(join(porta.dir, 'no'))).toBe(false);
});
