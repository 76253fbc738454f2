/**
 * Starts the real Porta: HTTP on a random port, a fresh database (a SQLite file in a temp dir, or a
 * PostgreSQL database of its own when PORTA_TEST_DATABASE_URL is set: ./database.ts), a movable clock.
 * `restart()` closes it and starts again on the same database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../config/load.js';
import type { SettingName } from '../../config/schema.js';
import type { Account } from '../../src/accounts/account.js';
import { fromRoot } from '../../src/paths.js';
import { start, type Running } from '../../src/server.js';
import { run } from '../../src/cli/run.js';
import type { NewAccount } from '../../src/storage/accounts.js';
import { TestClock } from './clock.js';
import { freePort } from './process.js';
import { createTestDatabase, dropTestDatabase } from './database.js';

export const TEST_PASSWORD = 'Correct-Horse-Battery-9';

export interface TestPorta extends Running {
  dir: string;
  clock: TestClock;
  /** The database it runs on, for the CLI and for tests that look inside. */
  databaseUrl: string;
  createAccount(input?: Partial<NewAccount> & { password?: string }): Promise<Account>;
  /** `porta …` on this server's database, clock and mail server, with the test clients file. */
  cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Restarts on the same file, optionally with changed settings. */
  restart(changes?: Partial<Record<SettingName, unknown>>): Promise<TestPorta>;
  stop(): Promise<void>;
}

export function testConfig(dir: string, databaseUrl: string, overrides: Partial<Record<SettingName, unknown>> = {}) {
  return loadConfig({
    env: {},
    file: '', // never a developer's config/porta.json
    overrides: {
      nodeEnv: 'test', port: 0, host: '127.0.0.1', logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
      databaseUrl, mailDir: join(dir, 'mail'), clientsFile: fromRoot('test/fixtures/clients.json'),
      sweepIntervalSeconds: 0,
      ...overrides,
    },
  });
}

/**
 * What production mode needs beyond the test defaults: real cookie keys, a privacy notice, a key-encryption
 * secret, an issuer (so a fixed port) and a mail server. Spread into startPorta's overrides.
 */
export async function productionSettings(smtpUrl = 'smtp://127.0.0.1:1'): Promise<Partial<Record<SettingName, unknown>>> {
  const port = await freePort();
  return {
    nodeEnv: 'production', port, issuer: `http://127.0.0.1:${port}`, smtpUrl,
    cookieKeys: ['production-test-cookie-key-0123456789abcdef', 'production-test-cookie-key-fedcba9876543210'],
    keysEncryptionSecret: 'production-test-keys-encryption-secret-0123456789',
    privacyNoticeUrl: 'https://university.example/privacy',
  };
}

let counter = 0;

/** Removes a test's temp dir. A late file (SQLite's -wal/-shm being released) can race the removal; a
 * second try after an I/O turn settles it, and a dir left in the OS temp folder fails no test. */
async function removeDir(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

export async function startPorta(overrides: Partial<Record<SettingName, unknown>> = {}, existing?: { dir?: string; clock: TestClock; databaseUrl?: string; ownsDatabase?: boolean }): Promise<TestPorta> {
  const dir = existing?.dir ?? mkdtempSync(join(tmpdir(), 'porta-test-'));
  const clock = existing?.clock ?? new TestClock();
  const given = existing?.databaseUrl ?? (overrides.databaseUrl as string | undefined);
  const databaseUrl = given ?? await createTestDatabase(dir);
  // Only the instance that created its database (or was restarted from one that did) drops it; a second
  // server on the same database (tests of several instances) leaves it to the first.
  const ownsDatabase = given === undefined || existing?.ownsDatabase === true;
  const config = testConfig(dir, databaseUrl, overrides);
  const logger = pino({ level: config.logLevel });
  let running: Running;
  try {
    running = await start({ config, clock, logger });
  } catch (err) {
    if (given === undefined) await dropTestDatabase(databaseUrl);
    throw err;
  }
  const porta: TestPorta = {
    ...running,
    // A spread copies the getter's value once; the provider changes when the signing keys do.
    get provider() { return running.provider; },
    dir,
    clock,
    databaseUrl,
    async createAccount(input = {}) {
      const n = ++counter;
      const { password = TEST_PASSWORD, ...rest } = input;
      return running.services.accounts.create({
        username: `student${n}`, givenName: 'Maria', familyName: `Rossi${n}`, email: `student${n}@example.org`, emailVerified: true,
        userType: 'internal', status: 'active', birthdate: '2001-05-17', phone: '+393331234567',
        passwordHash: await running.services.hasher.hash(password),
        ...rest,
      });
    },
    async cli(...argv) {
      const out: string[] = [];
      const err: string[] = [];
      // The server's mail server and Redis too, so what the CLI mails reaches the test's SMTP catcher and
      // what it changes in a limit reaches the server's counters.
      const env = { DATABASE_URL: databaseUrl, CLIENTS_FILE: config.clientsFile, FEDERATION_FILE: config.federationFile, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...(config.smtpUrl ? { SMTP_URL: config.smtpUrl } : {}), ...(config.redisUrl ? { REDIS_URL: config.redisUrl, REDIS_KEY_PREFIX: config.redisKeyPrefix } : {}) };
      const code = await run(argv, { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, clock });
      return { code, stdout: out.join(''), stderr: err.join('') };
    },
    /** Same file, same clock, same port and issuer (tokens name their issuer). */
    async restart(changes = {}) {
      await running.close();
      // Let this process's HTTP clients see their pooled keep-alive sockets close (an I/O turn of the
      // event loop), or their next request to the same port would go down a dead socket.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      return startPorta({ ...overrides, ...changes, port: new URL(running.url).port, issuer: running.issuer }, { dir, clock, databaseUrl, ownsDatabase });
    },
    async stop() {
      await running.close();
      if (ownsDatabase) await dropTestDatabase(databaseUrl);
      await removeDir(dir);
    },
  };
  return porta;
}
