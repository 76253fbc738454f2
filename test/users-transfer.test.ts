/**
 * Moving accounts in and out of Porta: `porta users import|export` against the real server's SQLite
 * file, and sign-ins through the real server with every kind of imported password hash. The bcrypt
 * and PBKDF2 hashes are made by code independent of Porta's: the C library's crypt(3) through perl,
 * and the openssl command line.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import argon2 from 'argon2';
import { run, type CliIO } from '../src/cli/run.js';
import { fromRoot } from '../src/paths.js';
import { Browser } from './helpers/browser.js';
import { startPorta, type TestPorta } from './helpers/porta.js';
import { fixtureRp, signInThrough, type Rp } from './helpers/rp.js';

const PASSWORD = 'Imported-Passw0rd-42';

let porta: TestPorta;
let admissions: Rp;
let work: string;

beforeAll(async () => {
  porta = await startPorta();
  admissions = await fixtureRp(porta.issuer, 'admissions');
  work = mkdtempSync(join(tmpdir(), 'porta-transfer-'));
});
afterAll(async () => {
  await porta.stop();
  rmSync(work, { recursive: true, force: true });
});

async function cli(argv: string[], databaseUrl = porta.databaseUrl) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) },
    env: { DATABASE_URL: databaseUrl, CLIENTS_FILE: fromRoot('test/fixtures/clients.json'), NODE_ENV: 'test', LOG_LEVEL: 'silent' },
    clock: porta.clock,
  };
  const code = await run(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

function writeLines(name: string, records: unknown[]): string {
  const file = join(work, name);
  writeFileSync(file, records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
  return file;
}

const ab64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '').replace(/\+/g, '.');
const bcryptSalt = () => randomBytes(16).toString('base64').replace(/[^A-Za-z0-9]/g, 'a').slice(0, 21) + 'u';

/** crypt(3) from the C library (libxcrypt), not the bcryptjs Porta uses. */
function bcryptHash(password: string, prefix: '2a' | '2b' | '2y'): string {
  return execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$${prefix}$05$${bcryptSalt()}`], { encoding: 'utf8' });
}

/** passlib's $pbkdf2-sha256$ format, the key derived by the openssl command line. */
function pbkdf2Hash(password: string, rounds: number): string {
  const salt = randomBytes(16);
  const key = execFileSync('openssl', ['kdf', '-keylen', '32', '-kdfopt', 'digest:SHA256', '-kdfopt', `pass:${password}`,
    '-kdfopt', `hexsalt:${salt.toString('hex')}`, '-kdfopt', `iter:${rounds}`, '-binary', 'PBKDF2']);
  return `$pbkdf2-sha256$${rounds}$${ab64(salt)}$${ab64(key)}`;
}

const signIn = async (login: string, password: string) => (await signInThrough(admissions, new Browser(porta.issuer), login, password)).done;

const storedHash = async (username: string) => (await porta.services.accounts.findByLogin(username))!.passwordHash!;

const person = (n: number, extra: Record<string, unknown> = {}) => ({
  username: `imported${n}`, given_name: 'Lucia', family_name: `Verdi${n}`, email: `imported${n}@example.org`,
  email_verified: true, user_type: 'external', created_at: '2019-09-01T08:00:00.000Z', ...extra,
});

describe('porta users import', () => {
  test('each kind of password hash signs in, and the first sign-in stores it again as argon2id', async () => {
    const hashes = {
      argon2id: await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 }),
      argon2i: await argon2.hash(PASSWORD, { type: argon2.argon2i, memoryCost: 4096, timeCost: 3 }),
      bcrypt2a: bcryptHash(PASSWORD, '2a'),
      bcrypt2b: bcryptHash(PASSWORD, '2b'),
      bcrypt2y: bcryptHash(PASSWORD, '2y'),
      pbkdf2: pbkdf2Hash(PASSWORD, 29000),
    };
    const names = Object.keys(hashes);
    const file = writeLines('hashes.jsonl', names.map((kind, i) => person(100 + i, { username: `hash-${kind}`, password_hash: hashes[kind as keyof typeof hashes] })));
    const r = await cli(['users', 'import', file]);
    expect(r).toMatchObject({ code: 0, stdout: `${names.length} created, 0 updated, 0 skipped\n` });

    for (const kind of names) {
      expect(await storedHash(`hash-${kind}`)).toBe(hashes[kind as keyof typeof hashes]);
      // A wrong password is refused and leaves the imported hash alone.
      expect((await signIn(`hash-${kind}`, 'Wrong-Password-000')).location).toBeUndefined();
      expect(await storedHash(`hash-${kind}`)).toBe(hashes[kind as keyof typeof hashes]);
      const done = await signIn(`hash-${kind}`, PASSWORD);
      expect(done.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
      const rehashed = await storedHash(`hash-${kind}`);
      expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      if (kind === 'argon2id') expect(rehashed).toBe(hashes.argon2id);
      expect(await argon2.verify(rehashed, PASSWORD)).toBe(true);
    }
  });

  test('re-running an import updates the accounts it created; the person code is kept or generated', async () => {
    const file = writeLines('people.jsonl', [person(1, { person_code: '12345671' }), person(2)]);
    expect((await cli(['users', 'import', file])).stdout).toBe('2 created, 0 updated, 0 skipped\n');
    const first = (await porta.services.accounts.findByLogin('imported2'))!;
    expect((await porta.services.accounts.findByLogin('imported1'))!.personCode).toBe('12345671');
    expect(first.createdAt).toBe(Date.parse('2019-09-01T08:00:00.000Z'));

    writeLines('people.jsonl', [person(1, { person_code: '12345671', family_name: 'Neri' }), person(2, { email_verified: false })]);
    expect((await cli(['users', 'import', file])).stdout).toBe('0 created, 2 updated, 0 skipped\n');
    expect((await porta.services.accounts.findByLogin('12345671'))!.familyName).toBe('Neri');
    const again = (await porta.services.accounts.findByLogin('imported2'))!;
    expect(again).toMatchObject({ id: first.id, personCode: first.personCode, emailVerified: false });
  });

  test('bad lines are reported by number and skipped; the good ones are imported', async () => {
    const file = writeLines('mixed.jsonl', [
      person(10),
      '{"username": "broken",',
      person(11, { password_hash: '$md5$abc' }),
      '',
      person(12, { user_type: 'staff', email: 'not-an-address' }),
      person(13, { person_code: '12345678' }),
      person(14, { shoe_size: 44 }),
      person(15),
    ]);
    const r = await cli(['users', 'import', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe([
      'line 2: not valid JSON',
      'line 3: password_hash: must be an argon2id, argon2i, bcrypt ($2a$, $2b$, $2y$) or $pbkdf2-sha256$ hash',
      'line 5: email: must be an email address; user_type: Invalid option: expected one of "internal"|"external"|"federated"',
      'line 6: person_code: must be 8 digits with a valid check digit',
      'line 7: Unrecognized key: "shoe_size"',
      '2 created, 0 updated, 5 skipped',
      '',
    ].join('\n'));
    expect(r.stderr).toBe('porta: 5 of the lines were skipped: fix them and import again (the others are in)\n');
    expect(await porta.services.accounts.findByLogin('imported10')).toBeDefined();
    expect(await porta.services.accounts.findByLogin('imported15')).toBeDefined();
  });

  test('phone numbers are read as the registration form reads them (PHONE_DEFAULT_REGION) and stored as E.164', async () => {
    const file = writeLines('phones.jsonl', [
      person(30, { phone: '333 123 4567' }), person(31, { phone: '+44 20 7946 0958' }), person(32, { phone: null }), person(33, { phone: '12' }),
    ]);
    const r = await cli(['users', 'import', file]);
    expect(r.stdout).toBe('line 4: phone: must be a phone number: +39 333 1234567, or without the country code for a number of IT\n3 created, 0 updated, 1 skipped\n');
    expect((await porta.services.accounts.findByLogin('imported30'))!.phone).toBe('+393331234567');
    expect((await porta.services.accounts.findByLogin('imported31'))!.phone).toBe('+442079460958');
    expect((await porta.services.accounts.findByLogin('imported32'))!.phone).toBeNull();
  });

  test('a line whose username and email belong to two different accounts is refused', async () => {
    writeLines('a.jsonl', [person(20), person(21)]);
    await cli(['users', 'import', join(work, 'a.jsonl')]);
    const r = await cli(['users', 'import', writeLines('b.jsonl', [person(20, { email: 'imported21@example.org' })])]);
    expect(r.stdout).toBe('line 1: its sub, person_code, username and email belong to 2 different existing accounts\n0 created, 0 updated, 1 skipped\n');
  });

  test('progress is shown on standard error every thousand lines', async () => {
    const file = writeLines('many.jsonl', Array.from({ length: 1000 }, (_, i) => person(1000 + i)));
    const r = await cli(['users', 'import', file]);
    expect(r.stderr).toBe('1000 lines read: 1000 created, 0 updated, 0 skipped\n');
    expect(r.code).toBe(0);
  });
});

describe('porta users export', () => {
  test('no password hashes unless --with-password-hashes; the export imports into a fresh database', async () => {
    const account = await porta.createAccount({ username: 'exported.one', userType: 'internal' });
    const plain = await cli(['users', 'export']);
    expect(plain.code).toBe(0);
    const lines = plain.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.find((l) => l.username === 'exported.one')!;
    expect(mine).toMatchObject({ sub: account.id, person_code: account.personCode, email: account.email, user_type: 'internal', status: 'active' });
    expect(lines.every((l) => !('password_hash' in l))).toBe(true);
    expect(plain.stdout).not.toContain('$argon2');
    expect(plain.stderr).toBe(`${lines.length} accounts exported\n`);

    const file = join(work, 'export.jsonl');
    const withHashes = await cli(['users', 'export', file, '--with-password-hashes']);
    expect(withHashes.stderr).toBe(`${lines.length} accounts exported with their password hashes to ${file}\n`);
    const exported = readFileSync(file, 'utf8');
    expect(JSON.parse(exported.split('\n').find((l) => l.includes('exported.one'))!)).toMatchObject({ password_hash: account.passwordHash });
    expect((await cli(['users', 'export', file])).stderr).toBe(`porta: ${file} already exists; choose a new file name\n`);

    // Round trip: a new database gets the same accounts, subjects and hashes, and the person signs in.
    const fresh = join(work, 'fresh.sqlite');
    expect((await cli(['users', 'import', file], fresh)).stdout).toBe(`${lines.length} created, 0 updated, 0 skipped\n`);
    const file2 = join(work, 'export2.jsonl');
    await cli(['users', 'export', file2, '--with-password-hashes'], fresh);
    expect(readFileSync(file2, 'utf8')).toBe(exported);

    const other = await startPorta({ databaseUrl: fresh });
    try {
      const rp = await fixtureRp(other.issuer, 'admissions');
      const { pending, done } = await signInThrough(rp, new Browser(other.issuer), 'exported.one');
      const tokens = await rp.callback(done.location!, pending);
      expect(tokens.claims()).toMatchObject({ sub: account.id, person_code: account.personCode });
    } finally {
      await other.stop();
    }
  });
});
