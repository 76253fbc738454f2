/**
 * Crash safety: SIGKILL the server in the middle of a stream of registrations and token requests.
 * After a restart the database opens cleanly and every registration whose response arrived is there.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../src/paths.js';
import { migrate, openDatabase } from '../src/storage/db.js';
import { Browser } from './helpers/browser.js';
import { createTestDatabase, dropTestDatabase, onPostgres } from './helpers/database.js';
import { startServerProcess } from './helpers/process.js';

jest.setTimeout(180_000);
const SECRET = 'crash-test-secret-0123456789abcdefghijkl';

test('a killed server loses no acknowledged registration and restarts on a sound database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'porta-crash-'));
  const env = {
    DATABASE_URL: await createTestDatabase(dir), MAIL_DIR: join(dir, 'mail'), CLIENTS_FILE: fromRoot('test/fixtures/clients.json'),
    REGISTRATIONS_PER_IP_PER_HOUR: '100000', TOKEN_REQUESTS_PER_IP_PER_MINUTE: '0',
  };
  const db = openDatabase(env.DATABASE_URL);
  await migrate(db);
  await db('clients').insert({ client_id: 'batch', created_at: 0, updated_at: 0, metadata: JSON.stringify({ client_id: 'batch', client_secret: SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }) });
  await db.destroy();

  try {
    const server = await startServerProcess(env);
    const acknowledged: string[] = [];
    let tokens = 0;
    let stop = false;

    const registrations = async (worker: number) => {
      for (let i = 0; !stop && i < 500; i++) {
        const username = `crash${worker}x${i}`;
        const browser = new Browser(server.url);
        try {
          const page = await browser.go('/register');
          const res = await browser.submit(page, '/register', {
            given_name: 'Ada', family_name: 'Lovelace', birthdate_day: '10', birthdate_month: '12', birthdate_year: '1999', phone: '3331234567', email: `${username}@example.org`,
            username, password: 'Tramonto sul lago 42', password_confirm: 'Tramonto sul lago 42', privacy: 'yes',
          });
          if (res.status === 200 && res.body.includes('Check your inbox')) acknowledged.push(username);
        } catch {
          return; // the server is gone
        }
      }
    };
    const tokenRequests = async () => {
      for (let i = 0; !stop && i < 5000; i++) {
        try {
          const res = await fetch(`${server.url}/token`, {
            method: 'POST', body: 'grant_type=client_credentials',
            headers: { authorization: `Basic ${Buffer.from(`batch:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          });
          if (res.ok) tokens++;
        } catch {
          return;
        }
      }
    };
    const load = Promise.all([registrations(1), registrations(2), tokenRequests(), tokenRequests()]);
    // Kill once enough work is in flight, bounded in time either way.
    for (let i = 0; i < 300 && acknowledged.length < 20; i++) await new Promise((r) => setTimeout(r, 50));
    server.child.kill('SIGKILL');
    expect(await server.exited).toBe('SIGKILL');
    stop = true;
    await load;
    expect(acknowledged.length).toBeGreaterThanOrEqual(5);
    expect(tokens).toBeGreaterThan(0);

    const restarted = await startServerProcess(env);
    try {
      expect((await fetch(`${restarted.url}/readyz`)).status).toBe(200);
      const check = openDatabase(env.DATABASE_URL);
      try {
        // SQLite's own check of its file (PostgreSQL recovers from its write-ahead log by itself).
        if (!onPostgres) expect(await check.raw('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
        const present = (await check('accounts').whereIn('username', acknowledged).pluck('username')) as string[];
        expect(present.sort()).toEqual([...acknowledged].sort());
      } finally {
        await check.destroy();
      }
      // And it still serves: a new registration works.
      const browser = new Browser(restarted.url);
      const page = await browser.go('/register');
      expect(page.status).toBe(200);
    } finally {
      restarted.child.kill('SIGTERM');
      expect(await restarted.exited).toBe(0);
    }
  } finally {
    await dropTestDatabase(env.DATABASE_URL);
    rmSync(dir, { recursive: true, force: true });
  }
});
