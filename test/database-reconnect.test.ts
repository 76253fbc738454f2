/**
 * A lost PostgreSQL connection is retried, not fatal: when the server drops Porta's connections (a
 * restart, a failover, pg_terminate_backend), the process lives on and the next requests are served on
 * fresh connections. PostgreSQL only: SQLite has no connection to lose.
 */
import { mkdtempSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { alertText, Browser } from './helpers/browser.js';
import { createTestDatabase, dropTestDatabase, onPostgres, testServerUrl } from './helpers/database.js';
import { TestClock } from './helpers/clock.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp } from './helpers/rp.js';

const SECRET = 'reconnect-test-secret-0123456789abcdefghij';
const basic = `Basic ${Buffer.from(`batch:${SECRET}`).toString('base64')}`;

let porta: TestPorta;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await porta?.stop();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const databaseName = (url: string) => new URL(url).pathname.slice(1);

async function adminClient(databaseUrl?: string): Promise<pg.Client> {
  const url = new URL(testServerUrl!);
  if (databaseUrl) url.pathname = `/${databaseName(databaseUrl)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

/** What a restart or failover does to every connection Porta holds: the server ends them (pg_terminate_backend). */
async function dropConnections(databaseUrl: string, admin?: pg.Client): Promise<number> {
  const client = admin ?? await adminClient();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [databaseName(databaseUrl)],
    );
    return rows[0]!.n;
  } finally {
    if (!admin) await client.end();
  }
}

const tokenRequest = () => fetch(`${porta.url}/token`, {
  method: 'POST', body: 'grant_type=client_credentials', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
});

async function signIn(username: string) {
  const rp = await fixtureRp(porta.issuer, 'admissions');
  const browser = new Browser(porta.issuer);
  const page = await browser.submit(await browser.go((await rp.authorize()).url), /\/login$/, { login: username, password: TEST_PASSWORD });
  return { status: page.status, signedIn: /^http:\/\/rp\.test\/admissions\/cb\?code=/.test(page.location ?? ''), alert: alertText(page.body) };
}

(onPostgres ? describe : describe.skip)('on PostgreSQL (skipped without PORTA_TEST_DATABASE_URL: SQLite has no connection to lose)', () => {
  beforeEach(async () => {
    porta = await startPorta({ tokenRequestsPerIpPerMinute: 1000 });
    await porta.services.db('clients').insert({ client_id: 'batch', created_at: 0, updated_at: 0, metadata: JSON.stringify({ client_id: 'batch', client_secret: SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }) });
  });

  test('after the server drops every connection, pages, tokens and sign-ins are served again at once', async () => {
    const account = await porta.createAccount();
    expect((await tokenRequest()).status).toBe(200);
    expect((await signIn(account.username!)).signedIn).toBe(true);

    expect(await dropConnections(porta.databaseUrl)).toBeGreaterThan(0);

    const page = await fetch(`${porta.url}/register`);
    const token = await tokenRequest();
    const signin = await signIn(account.username!);
    const ready = await fetch(`${porta.url}/readyz`);
    expect([page.status, token.status, signin.signedIn, ready.status]).toEqual([200, 200, true, 200]);
    // And again, without a request in between (as when the server restarts while Porta is idle).
    expect(await dropConnections(porta.databaseUrl)).toBeGreaterThan(0);
    expect((await signIn(account.username!)).signedIn).toBe(true);
  });

  test('connections dropped while requests are in flight: every request is answered, none with a 500', async () => {
    const rounds = 8;
    const statuses: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await Promise.all(Array.from({ length: 10 }, () => tokenRequest())); // every pooled connection in use
      const dropping = dropConnections(porta.databaseUrl);
      const answers = await Promise.all(Array.from({ length: 10 }, async () => {
        const res = await tokenRequest();
        if (res.status === 503) {
          expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
          expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
        }
        return res.status;
      }));
      await dropping;
      statuses.push(...answers);
    }
    // A request whose transaction was cut midway may answer a clean 503 (it changed nothing); all others succeed.
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(statuses.filter((s) => s === 503).length).toBeLessThanOrEqual(rounds);
    expect((await tokenRequest()).status).toBe(200);
  }, 120_000);

  test('a page whose transaction loses its connection midway answers a clean 503, changes nothing, and works when sent again', async () => {
    const register = async (browser: Browser) => browser.submit(await browser.go('/register'), '/register', {
      given_name: 'Ada', family_name: 'Lovelace', birthdate_day: '10', birthdate_month: '12', birthdate_year: '1999', phone: '3331234567',
      email: 'ada.lovelace@example.org', username: 'alovelace', password: 'Tramonto sul lago 42', password_confirm: 'Tramonto sul lago 42', privacy: 'yes',
    });
    // Another session holds the accounts table against writes, so the registration's INSERT waits inside its transaction.
    const admin = await adminClient(porta.databaseUrl);
    try {
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE accounts IN SHARE MODE');
      const answer = register(new Browser(porta.url));
      const deadline = Date.now() + 20_000;
      while ((await admin.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rowCount === 0) {
        if (Date.now() > deadline) throw new Error('the registration never waited for the lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await dropConnections(porta.databaseUrl, admin);
      const page = await answer;
      expect(page.status).toBe(503);
      expect(alertText(page.body) ?? page.body).toContain('The service was briefly unavailable and could not complete your request. Please try again in a moment.');
    } finally {
      await admin.query('ROLLBACK');
      await admin.end();
    }
    expect(await porta.services.db('accounts').where({ username: 'alovelace' }).first()).toBeUndefined();
    const again = await register(new Browser(porta.url));
    expect([again.status, again.body.includes('Check your inbox')]).toEqual([200, true]);
  });

  test('while PostgreSQL is unreachable requests answer a clean 503; once it is back they are served, without a restart', async () => {
    // Porta reaches PostgreSQL through a relay the test can take down (the shared server itself stays up).
    const relay = await new Relay(new URL(testServerUrl!).port || '5432').open();
    const dir = mkdtempSync(join(tmpdir(), 'porta-test-'));
    const url = new URL(await createTestDatabase(dir));
    url.port = String(relay.port);
    await porta.stop();
    cleanups.push(() => dropTestDatabase(url.toString()), () => relay.close());
    porta = await startPorta({ databaseUrl: url.toString(), tokenRequestsPerIpPerMinute: 1000 }, { dir, clock: new TestClock() });
    await porta.services.db('clients').insert({ client_id: 'batch', created_at: 0, updated_at: 0, metadata: JSON.stringify({ client_id: 'batch', client_secret: SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }) });
    const rp = await fixtureRp(porta.issuer, 'admissions');
    expect((await tokenRequest()).status).toBe(200);

    await relay.close();
    const token = await tokenRequest();
    expect([token.status, token.headers.get('retry-after'), await token.json()]).toEqual([503, '2', expect.objectContaining({ error: 'temporarily_unavailable' })]);
    const page = await new Browser(porta.issuer).go((await rp.authorize()).url);
    expect([page.status, alertText(page.body) ?? page.body]).toEqual([503, expect.stringContaining('The service was briefly unavailable')]);
    expect((await fetch(`${porta.url}/readyz`)).status).toBe(503);

    await relay.open();
    expect((await tokenRequest()).status).toBe(200);
    expect((await new Browser(porta.issuer).go((await rp.authorize()).url)).status).toBe(200);
    expect((await fetch(`${porta.url}/readyz`)).status).toBe(200);
  });
});

/** A TCP relay to PostgreSQL: close() drops every connection and refuses new ones, as a server that is down; open() again restores it. */
class Relay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: string) {}

  async open(): Promise<this> {
    if (this.server) return this;
    const server = createServer((client) => {
      const upstream = connect(Number(this.target), '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((ok) => server.listen(this.port, '127.0.0.1', ok));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise((ok) => server?.close(ok));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
