/** The oidc-provider adapter contract and the expiry sweep, against a real SQLite file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase, type Db } from '../src/storage/db.js';
import { GroupCommit } from '../src/storage/group-commit.js';
import { adapterFactory } from '../src/storage/oidc-adapter.js';
import { sweepExpired } from '../src/storage/sweep.js';
import { SigningKeys, SIGNING_ALGS } from '../src/storage/signing-keys.js';
import { SpKeys, SP_KEY_USES } from '../src/federation/saml/sp-keys.js';
import { TestClock } from './helpers/clock.js';
import { createTestDatabase, dropTestDatabase, onPostgres, sqliteOnlyTest } from './helpers/database.js';

let dir: string;
let url: string;
let db: Db;
let clock: TestClock;
let adapter: ReturnType<typeof adapterFactory>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'porta-storage-'));
  url = await createTestDatabase(dir);
  db = openDatabase(url);
  await migrate(db);
  clock = new TestClock();
  adapter = adapterFactory(db, clock);
});
afterEach(async () => {
  await db.destroy();
  await dropTestDatabase(url);
  rmSync(dir, { recursive: true, force: true });
});

describe('oidc-provider adapter', () => {
  test('upsert then find returns the payload; upsert again replaces it', async () => {
    const tokens = adapter('AccessToken');
    await tokens.upsert('t1', { accountId: 'a', grantId: 'g1' }, 60);
    expect(await tokens.find('t1')).toEqual({ accountId: 'a', grantId: 'g1' });
    await tokens.upsert('t1', { accountId: 'b', grantId: 'g1' }, 60);
    expect(await tokens.find('t1')).toEqual({ accountId: 'b', grantId: 'g1' });
    expect(await tokens.find('missing')).toBeUndefined();
  });

  test('models are separate namespaces', async () => {
    await adapter('AccessToken').upsert('same', { kind: 'AccessToken' }, 60);
    await adapter('RefreshToken').upsert('same', { kind: 'RefreshToken' }, 60);
    expect(await adapter('AccessToken').find('same')).toEqual({ kind: 'AccessToken' });
    expect(await adapter('RefreshToken').find('same')).toEqual({ kind: 'RefreshToken' });
  });

  test('an expired entry is not found, though the sweep has not run yet', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g' }, 60);
    clock.advance(59_000);
    expect(await codes.find('c1')).toBeDefined();
    clock.advance(1_000);
    expect(await codes.find('c1')).toBeUndefined();
  });

  test('consume marks the entry consumed, with the time in seconds', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g' }, 60);
    const before = Math.floor(clock.now() / 1000);
    await codes.consume('c1');
    const found = await codes.find('c1');
    expect(found?.consumed).toBeGreaterThanOrEqual(before);
  });

  test('destroy removes one entry', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a' }, 60);
    await sessions.destroy('s1');
    expect(await sessions.find('s1')).toBeUndefined();
    expect(await sessions.findByUid('u1')).toBeUndefined();
  });

  test('findByUid finds sessions; findByUserCode finds device codes', async () => {
    await adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'a' }, 60);
    await adapter('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g' }, 60);
    expect(await adapter('Session').findByUid('uid-1')).toEqual({ uid: 'uid-1', accountId: 'a' });
    expect(await adapter('DeviceCode').findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH', grantId: 'g' });
    expect(await adapter('Session').findByUid('nope')).toBeUndefined();
  });

  test('revokeByGrantId removes every token of the grant and nothing else', async () => {
    const access = adapter('AccessToken');
    const refresh = adapter('RefreshToken');
    await access.upsert('a1', { grantId: 'g1' }, 60);
    await access.upsert('a2', { grantId: 'g2' }, 60);
    await refresh.upsert('r1', { grantId: 'g1' }, 60);
    await access.revokeByGrantId('g1');
    await refresh.revokeByGrantId('g1');
    expect(await access.find('a1')).toBeUndefined();
    expect(await refresh.find('r1')).toBeUndefined();
    expect(await access.find('a2')).toBeDefined();
  });

  test('entries without a lifetime never expire', async () => {
    await adapter('Client').upsert('c', { client_id: 'c', redirect_uris: ['https://x/cb'] }, 0);
    await adapter('ReplayDetection').upsert('r', { iss: 'x' }, 0);
    clock.advance(10 * 365 * 86400_000);
    expect(await adapter('Client').find('c')).toEqual({ client_id: 'c', redirect_uris: ['https://x/cb'] });
    expect(await adapter('ReplayDetection').find('r')).toEqual({ iss: 'x' });
  });
});

describe('group commit', () => {
  test('writes made together all land, and each caller can read its own back', async () => {
    const tokens = adapter('AccessToken');
    await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      await tokens.upsert(`t${i}`, { n: i }, 60);
      expect(await tokens.find(`t${i}`)).toEqual({ n: i });
    }));
    expect(await db('oidc_payloads').count({ n: '*' }).first()).toEqual({ n: 50 });
  });

  test('a failing write fails alone: the others in its batch are committed', async () => {
    const writes = new GroupCommit(db);
    const results = await Promise.allSettled([
      writes.run({ sql: "INSERT INTO oidc_payloads (model, id, payload) VALUES ('AccessToken', ?, '{}')", bindings: ['a'] }),
      writes.run({ sql: 'INSERT INTO no_such_table (x) VALUES (1)', bindings: [] }),
      writes.run({ sql: "INSERT INTO oidc_payloads (model, id, payload) VALUES ('AccessToken', ?, '{}')", bindings: ['b'] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await db('oidc_payloads').orderBy('id').pluck('id'))).toEqual(['a', 'b']);
  });
});

describe('direct statements and knex transactions', () => {
  test('a write made while a knex transaction is open waits for it and is not rolled back with it', async () => {
    const tokens = adapter('AccessToken');
    let outside: Promise<void> | undefined;
    await expect(db.transaction(async (trx) => {
      await trx('oidc_payloads').insert({ model: 'AccessToken', id: 'inside', payload: '{}' });
      outside = tokens.upsert('outside', { n: 1 }, 60);
      await new Promise((resolve) => setTimeout(resolve, 20)); // the group commit's turn comes while the transaction is open
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    await outside;
    expect(await tokens.find('outside')).toEqual({ n: 1 });
    expect(await tokens.find('inside')).toBeUndefined();
  });
});

describe('expiry sweep', () => {
  test('deletes expired rows in batches and keeps live ones (a worker thread on a SQLite file, in-process on PostgreSQL)', async () => {
    const tokens = adapter('AccessToken');
    for (let i = 0; i < 25; i++) await tokens.upsert(`old${i}`, { grantId: 'g' }, 60);
    await tokens.upsert('live', { grantId: 'g' }, 3600);
    clock.advance(120_000);
    expect(await sweepExpired(db, url, clock, 10).done).toMatchObject({ rows: 25 });
    expect(await db('oidc_payloads').count({ n: '*' }).first()).toEqual({ n: 1 });
    expect(await tokens.find('live')).toBeDefined();
    expect(await sweepExpired(db, url, clock, 10).done).toMatchObject({ rows: 0 });
  });

  sqliteOnlyTest('in-process where another connection cannot see the data (in-memory SQLite database)', async () => {
    const memory = openDatabase(':memory:');
    try {
      await migrate(memory);
      const tokens = adapterFactory(memory, clock)('AccessToken');
      for (let i = 0; i < 25; i++) await tokens.upsert(`old${i}`, { grantId: 'g' }, 60);
      await tokens.upsert('live', { grantId: 'g' }, 3600);
      clock.advance(120_000);
      expect(await sweepExpired(memory, ':memory:', clock, 10).done).toMatchObject({ rows: 25 });
      expect(await tokens.find('live')).toBeDefined();
    } finally {
      await memory.destroy();
    }
  });

  test('stop() ends it after the current batch', async () => {
    const tokens = adapter('AccessToken');
    for (let i = 0; i < 200; i++) await tokens.upsert(`old${i}`, {}, 60);
    clock.advance(120_000);
    const sweep = sweepExpired(db, url, clock, 1);
    sweep.stop();
    expect((await sweep.done).rows).toBeLessThan(200);
    expect(await db('oidc_payloads').count({ n: '*' }).first()).not.toEqual({ n: 0 });
  });
});

describe('revoking an account', () => {
  test('removes its sessions, grants and tokens, optionally sparing the current session', async () => {
    const { revokeAccountData } = await import('../src/storage/sessions.js');
    await adapter('Session').upsert('s1', { uid: 'u1', accountId: 'acc' }, 60);
    await adapter('Session').upsert('s2', { uid: 'u2', accountId: 'acc' }, 60);
    await adapter('Grant').upsert('g1', { accountId: 'acc', clientId: 'c' }, 60);
    await adapter('RefreshToken').upsert('r1', { accountId: 'acc', grantId: 'g1' }, 60);
    await adapter('RefreshToken').upsert('r2', { accountId: 'other', grantId: 'g2' }, 60);
    expect(await revokeAccountData(db, 'acc', 0, { sessionId: 's1' })).toBe(3);
    expect(await adapter('Session').find('s1')).toBeDefined();
    expect(await adapter('Session').find('s2')).toBeUndefined();
    expect(await adapter('Grant').find('g1')).toBeUndefined();
    expect(await adapter('RefreshToken').find('r1')).toBeUndefined();
    expect(await adapter('RefreshToken').find('r2')).toBeDefined();
  });
});

describe('accounts', () => {
  test('a taken email and a taken username are told apart', async () => {
    const { Accounts, DuplicateError } = await import('../src/storage/accounts.js');
    const accounts = new Accounts(db, clock);
    const base = { givenName: 'A', familyName: 'B', userType: 'internal', status: 'active' } as const;
    await accounts.create({ ...base, username: 'anna', email: 'anna@example.org' });
    await expect(accounts.create({ ...base, username: 'other', email: 'ANNA@example.org' })).rejects.toEqual(new DuplicateError('email'));
    await expect(accounts.create({ ...base, username: 'Anna', email: 'new@example.org' })).rejects.toEqual(new DuplicateError('username'));
    await expect(accounts.create({ ...base, username: 'Anna', email: 'new@example.org' })).rejects.toMatchObject({ field: 'username' });
    await expect(accounts.create({ ...base, username: 'other', email: 'anna@EXAMPLE.org' })).rejects.toMatchObject({ field: 'email' });
  });
});

describe('instances starting together', () => {
  test('on a fresh database they keep one active signing key per algorithm and one SAML key pair per use', async () => {
    const instances = [openDatabase(url), openDatabase(url), openDatabase(url)];
    try {
      const made = await Promise.all(instances.map(async (own) => {
        const keys = await new SigningKeys(own, clock, 'a-keys-encryption-secret-for-tests-only', 60_000).ensure();
        const sp = await new SpKeys(own, clock, 'a-keys-encryption-secret-for-tests-only', 'porta.example', 60_000, 365).ensure();
        return { keys, sp };
      }));
      expect(made.flatMap((m) => m.keys)).toHaveLength(SIGNING_ALGS.length);
      expect(made.flatMap((m) => m.sp)).toHaveLength(SP_KEY_USES.length);
      const activeAlgs = (await db('signing_keys').whereNull('retired_at').pluck('alg')) as string[];
      expect(activeAlgs.sort()).toEqual([...SIGNING_ALGS].sort());
      const activeUses = (await db('saml_sp_keys').whereNull('retired_at').pluck('use')) as string[];
      expect(activeUses.sort()).toEqual([...SP_KEY_USES].sort());
    } finally {
      await Promise.all(instances.map((own) => own.destroy()));
    }
  });
});

(onPostgres ? describe : describe.skip)('PostgreSQL connection settings (skipped without PORTA_TEST_DATABASE_URL)', () => {
  test('DATABASE_STATEMENT_TIMEOUT_MS cancels a longer statement; DATABASE_POOL_MAX bounds the connections', async () => {
    const bounded = openDatabase(url, { databaseStatementTimeoutMs: 300, databasePoolMax: 2 });
    try {
      const { rows } = (await bounded.raw('SHOW statement_timeout')) as { rows: { statement_timeout: string }[] };
      expect(rows[0]!.statement_timeout).toBe('300ms');
      await expect(bounded.raw('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
      const pids = await Promise.all(Array.from({ length: 6 }, async () =>
        ((await bounded.raw('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)')) as { rows: { pid: number }[] }).rows[0]!.pid));
      expect(new Set(pids).size).toBeLessThanOrEqual(2);
    } finally {
      await bounded.destroy();
    }
  });

  test('TLS is asked for by the URL, as libpq reads it: sslmode=require refuses a server without TLS', async () => {
    const tls = openDatabase(`${url}${url.includes('?') ? '&' : '?'}sslmode=require`);
    try {
      const { rows } = (await db.raw('SHOW ssl')) as { rows: { ssl: string }[] };
      if (rows[0]!.ssl === 'on') {
        const used = (await tls.raw('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')) as { rows: { ssl: boolean }[] };
        expect(used.rows[0]!.ssl).toBe(true);
      } else {
        await expect(tls.raw('SELECT 1')).rejects.toThrow(/does not support SSL/);
      }
    } finally {
      await tls.destroy();
    }
  });
});
