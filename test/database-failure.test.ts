/**
 * When the database refuses writes (a full disk, a read-only file): no bound value in the log, and not ready.
 * The failure is made with SQLite's query_only pragma, so these run on SQLite (the log and readiness code is the same on both).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/logger.js';
import { start, type Running } from '../src/server.js';
import { sqliteConnection } from '../src/storage/db.js';
import { Browser } from './helpers/browser.js';
import { TestClock } from './helpers/clock.js';
import { testConfig } from './helpers/porta.js';

let dir: string;
let running: Running;
let log: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'porta-dbfail-'));
  log = '';
  const config = testConfig(dir, join(dir, 'porta.sqlite'), { logLevel: 'info', registrationsPerIpPerHour: 1000 });
  running = await start({ config, clock: new TestClock(), logger: createLogger(config, { write: (line: string) => { log += line; } }) });
});
afterEach(async () => {
  await running.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every write now fails as on a full disk, while reads still work. */
function refuseWrites() {
  sqliteConnection(running.services.db)!.pragma('query_only = ON');
}

test('a registration that cannot be written logs the error code, and none of the person\'s data', async () => {
  refuseWrites();
  const browser = new Browser(running.url);
  const form = await browser.go('/register');
  const page = await browser.submit(form, '/register', {
    given_name: 'Giulia', family_name: 'Bianchi', birthdate_day: '17', birthdate_month: '5', birthdate_year: '2001', phone: '333 765 4321',
    email: 'giulia.bianchi@example.org', username: 'gbianchi', password: 'Tramonto sul lago 42', password_confirm: 'Tramonto sul lago 42',
  });
  expect(page.status).toBe(500);
  expect(log).toContain('SQLITE_READONLY');
  expect(log).toMatch(/"code":"SQLITE_READONLY"/);
  for (const value of ['giulia.bianchi@example.org', 'Bianchi', '2001-05-17', '3337654321', 'gbianchi', '$argon2id$']) expect(log).not.toContain(value);
});

test('the adapter\'s statements through knex.raw (PostgreSQL, or SQLite inside a transaction) put no token in the error', async () => {
  refuseWrites();
  const token = 'live-refresh-token-value-0123456789';
  const failed = await running.services.db.raw('INSERT INTO oidc_payloads (model, id, payload) VALUES (?, ?, ?)', ['RefreshToken', token, '{}'])
    .then(() => undefined, (err: unknown) => err);
  expect(failed).toMatchObject({ code: 'SQLITE_READONLY' });
  running.services.logger.error({ err: failed }, 'write failed');
  expect(log).toMatch(/"code":"SQLITE_READONLY"/);
  expect(log).not.toContain(token);
});

test('readiness proves a write: a database that refuses writes is not ready', async () => {
  expect(await (await fetch(`${running.url}/readyz`)).json()).toEqual({ status: 'ready' });
  refuseWrites();
  const ready = await fetch(`${running.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ status: 'database refuses writes' });
  expect(log).toMatch(/"code":"SQLITE_READONLY"/);
});
