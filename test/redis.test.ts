/**
 * Rate limits in Redis (REDIS_URL): shared by every instance on it, under REDIS_KEY_PREFIX, the
 * token-endpoint limit included; while Redis is unreachable Porta starts and serves anyway, and the
 * limits are counted in the database. Against the real Redis on 127.0.0.1:6379, a key prefix per test.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimits } from '../src/http/rate-limit.js';
import { migrate, openDatabase } from '../src/storage/db.js';
import { alertText, Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { freePort } from './helpers/process.js';
import { fixtureRp } from './helpers/rp.js';

const REDIS = { host: '127.0.0.1', port: 6379 };
const REDIS_URL = `redis://${REDIS.host}:${REDIS.port}`;

let admin: Redis;
let prefix: string;
const started: TestPorta[] = [];

beforeAll(() => { admin = new Redis(REDIS_URL); });
afterAll(() => admin.quit());
beforeEach(() => { prefix = `porta-test:${process.pid}:${randomBytes(4).toString('hex')}:`; });
afterEach(async () => {
  for (const porta of started.splice(0)) await porta.stop();
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length) await admin.del(...keys);
});

async function boot(overrides: Record<string, unknown>): Promise<TestPorta> {
  const porta = await startPorta({ redisUrl: REDIS_URL, redisKeyPrefix: prefix, ...overrides });
  started.push(porta);
  return porta;
}

const tokenRequest = (porta: TestPorta) => fetch(`${porta.url}/token`, {
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=x&client_secret=y',
});
const statuses = async (porta: TestPorta, n: number) => { const out = []; for (let i = 0; i < n; i++) out.push((await tokenRequest(porta)).status); return out; };
const readiness = async (porta: TestPorta) => { const res = await fetch(`${porta.url}/readyz`); return { status: res.status, body: await res.json() as Record<string, string> }; };
const databaseCounters = (porta: TestPorta, name: string) => porta.services.db('rate_limits').where('key', 'like', `${name}:%`).count({ n: '*' }).first().then((r) => Number((r as { n: number }).n));

/**
 * A TCP relay to the real Redis that a test can cut and restore: an outage without stopping the shared
 * server. While cut it accepts connections and closes them at once, counting them (the client's retries).
 */
class RedisRelay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private down = false;
  refused = 0;
  port = 0;
  get url() { return `redis://127.0.0.1:${this.port}`; }

  async open(): Promise<this> {
    this.server = createServer((client) => {
      if (this.down) {
        this.refused++;
        client.destroy();
        return;
      }
      const upstream = connect(REDIS.port, REDIS.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  cut() {
    this.down = true;
    for (const s of this.sockets) s.destroy();
  }

  restore() { this.down = false; }

  async close() {
    this.cut();
    await new Promise((ok) => this.server?.close(ok));
  }
}

/** Waits, bounded, for a condition that a reconnect makes true within a few seconds. */
async function until(what: string, condition: () => Promise<boolean> | boolean) {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const untilRedis = (porta: TestPorta, want: 'reachable' | 'unreachable') => until(`Redis ${want}`, async () => (await readiness(porta)).body.redis === want);

test('an outage is logged once, its end once, and neither names the password', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'porta-test-'));
  const db = openDatabase(join(dir, 'porta.sqlite'));
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as { level: number; msg: string }); } });
  const relay = await new RedisRelay().open();
  // The test Redis's default user takes any password: this one only has to stay out of the log.
  const limits = new RateLimits(db, { url: relay.url.replace('redis://', 'redis://default:not-to-be-logged@'), keyPrefix: prefix, logger });
  try {
    await migrate(db);
    await limits.start();
    const limiter = limits.limiter('example', 1, 60);
    await limiter.consume('k');
    await expect(limiter.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
    expect(await admin.get(`${prefix}example:k`)).toBe('2');

    relay.cut();
    await until('two reconnects refused', () => relay.refused >= 2);
    // Counted in the database meanwhile, from nothing, with the same limit.
    await limiter.consume('k');
    await expect(limiter.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
    expect(await limits.redisStatus()).toBe('unreachable');

    relay.restore();
    await until('Redis back', async () => (await limits.redisStatus()) === 'reachable');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'Redis unreachable: rate limits counted in the database until it is back'],
      [30, 'Redis reachable again: rate limits counted in Redis'],
    ]);
    expect(JSON.stringify(lines)).not.toContain('not-to-be-logged');
  } finally {
    await limits.close();
    await relay.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a limit spent on one instance is counted in Redis, under the prefix, and seen by another instance on it', async () => {
  // Two instances on separate databases: only Redis can carry the count from one to the other.
  const one = await boot({ tokenRequestsPerIpPerMinute: 2 });
  const two = await boot({ tokenRequestsPerIpPerMinute: 2 });
  expect(one.databaseUrl).not.toBe(two.databaseUrl);

  expect(await statuses(one, 2)).toEqual([401, 401]);
  const third = await tokenRequest(two);
  expect(third.status).toBe(429);
  expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(await third.json()).toMatchObject({ error: 'temporarily_unavailable' });

  const keys = await admin.keys(`${prefix}*`);
  expect(keys).toEqual([expect.stringMatching(new RegExp(`^${prefix}token-ip:`))]);
  expect(Number(await admin.get(keys[0]!))).toBe(3);
  expect([await databaseCounters(one, 'token-ip'), await databaseCounters(two, 'token-ip')]).toEqual([0, 0]);
  expect(await readiness(one)).toEqual({ status: 200, body: { status: 'ready', redis: 'reachable' } });
});

test('the sign-in failure budget of an address is shared through Redis', async () => {
  const one = await boot({ loginFailuresPerIpPer15Minutes: 2 });
  const two = await boot({ loginFailuresPerIpPer15Minutes: 2 });
  const attempt = async (porta: TestPorta) => {
    const browser = new Browser(porta.issuer);
    const page = await browser.go((await (await fixtureRp(porta.issuer, 'admissions')).authorize()).url);
    return browser.submit(page, /\/login$/, { login: 'nobody-here', password: 'wrong-password-1' });
  };
  expect(alertText((await attempt(one)).body)).toBe('Invalid username or password');
  expect(alertText((await attempt(two)).body)).toBe('Invalid username or password');
  const third = await attempt(one);
  expect(third.status).toBe(429);
  expect(third.body).toContain('Too many attempts. Please wait 15 minutes and try again.');
  expect(await admin.keys(`${prefix}login-fail-ip:*`)).toHaveLength(1);
});

test('`porta users unlock` clears the attempt ceiling kept in Redis', async () => {
  const porta = await boot({ loginDelayAfterFailures: 100, loginLockoutThreshold: 100, loginAttemptsPerAccountPer15Minutes: 2 });
  const account = await porta.createAccount();
  const rp = await fixtureRp(porta.issuer, 'admissions');
  const attempt = async (password: string) => {
    const browser = new Browser(porta.issuer);
    return browser.submit(await browser.go((await rp.authorize()).url), /\/login$/, { login: account.username!, password });
  };
  await attempt('wrong-password-1');
  await attempt('wrong-password-2');
  expect((await attempt(TEST_PASSWORD)).status).toBe(429);
  expect(await admin.keys(`${prefix}login-account:*`)).toHaveLength(1);

  expect((await porta.cli('users', 'unlock', account.username!)).code).toBe(0);
  expect(await admin.keys(`${prefix}login-account:*`)).toHaveLength(0);
  expect((await attempt(TEST_PASSWORD)).location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
});

test('with Redis unreachable Porta starts, /readyz says so (still ready), and the limits are counted in the database', async () => {
  const closed = await freePort();
  const porta = await boot({ redisUrl: `redis://:not-to-be-logged@127.0.0.1:${closed}`, tokenRequestsPerIpPerMinute: 2 });
  expect(await readiness(porta)).toEqual({ status: 200, body: { status: 'ready', redis: 'unreachable' } });
  expect(await statuses(porta, 3)).toEqual([401, 401, 429]);
  expect(await databaseCounters(porta, 'token-ip')).toBe(1);
});

test('without REDIS_URL /readyz does not mention Redis', async () => {
  const porta = await boot({ redisUrl: '' });
  expect(await readiness(porta)).toEqual({ status: 200, body: { status: 'ready' } });
});

test('when Redis goes away the database counts, and when it is back Redis counts again; no request fails', async () => {
  const relay = await new RedisRelay().open();
  try {
    const porta = await boot({ redisUrl: relay.url, tokenRequestsPerIpPerMinute: 3 });
    expect(await statuses(porta, 2)).toEqual([401, 401]);
    const [key] = await admin.keys(`${prefix}token-ip:*`);
    expect(Number(await admin.get(key!))).toBe(2);

    relay.cut();
    await untilRedis(porta, 'unreachable');
    // The database's own count starts afresh, and its limit holds.
    expect(await statuses(porta, 4)).toEqual([401, 401, 401, 429]);
    expect(await databaseCounters(porta, 'token-ip')).toBe(1);
    expect((await readiness(porta)).status).toBe(200);

    relay.restore();
    await untilRedis(porta, 'reachable');
    expect(await statuses(porta, 2)).toEqual([401, 429]);
    expect(Number(await admin.get(key!))).toBe(4);
  } finally {
    await relay.close();
  }
}, 60_000);
