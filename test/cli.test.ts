/**
 * The `porta` CLI, run in-process against a real SQLite file, plus one check of the compiled executable.
 * Assertions are on what an operator sees: exit codes, stdout rows, the one-line stderr messages.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import argon2 from 'argon2';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { run, type CliIO } from '../src/cli/run.js';
import type { Clock } from '../src/clock.js';
import { fromRoot } from '../src/paths.js';
import { createServices } from '../src/services.js';
import { openDatabase } from '../src/storage/db.js';
import { createTestDatabase, dropTestDatabase } from './helpers/database.js';

const PASSWORD = 'secret-password-123';
const PRODUCTION_COOKIE_KEYS = 'a-production-cookie-key-of-32-chars-or-more,another-production-cookie-key-0123456';
const PRODUCTION_ENV = { NODE_ENV: 'production', COOKIE_KEYS: PRODUCTION_COOKIE_KEYS, ISSUER: 'https://login.example.edu', KEYS_ENCRYPTION_SECRET: 'a-keys-encryption-secret-of-32-chars-or-more', MAIL_TRANSPORT: 'files', PRIVACY_NOTICE_URL: 'https://uni.example/privacy' };

let dir: string;
let env: Record<string, string>;

interface Result { code: number; stdout: string; stderr: string }

function capture() {
  const chunks: string[] = [];
  return { write: (s: string) => { chunks.push(s); return true; }, text: () => chunks.join('') };
}

async function cli(argv: string[], options: { env?: Record<string, string>; stdin?: Readable; clock?: Clock } = {}): Promise<Result> {
  const stdout = capture();
  const stderr = capture();
  const io: CliIO = { stdout, stderr, env: { ...env, ...options.env }, stdin: options.stdin, clock: options.clock };
  const code = await run(argv, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Exit code 2 and exactly one `porta: …` line on stderr containing `fragment`. */
function expectUsageError(r: Result, fragment: string | RegExp) {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^porta: /);
  if (typeof fragment === 'string') expect(r.stderr).toContain(fragment);
  else expect(r.stderr).toMatch(fragment);
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'porta-cli-'));
  env = { DATABASE_URL: await createTestDatabase(dir), CLIENTS_FILE: fromRoot('config', 'clients.json'), NODE_ENV: 'test', LOG_LEVEL: 'silent' };
});

afterEach(async () => {
  await dropTestDatabase(env.DATABASE_URL!);
  rmSync(dir, { recursive: true, force: true });
});

/** Reads the database the CLI wrote, to check what cannot be seen on stdout (hashes, audit). */
async function withDb<T>(fn: (db: ReturnType<typeof openDatabase>) => Promise<T>): Promise<T> {
  const db = openDatabase(env.DATABASE_URL!);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

describe('porta help', () => {
  test('--help and help list the commands', async () => {
    for (const argv of [['--help'], ['help']]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      for (const command of ['clients add', 'clients list', 'clients remove', 'users add', 'users list', 'keys list', 'keys rotate', 'migrate']) {
        expect(r.stdout).toContain(command);
      }
    }
  });

  test('each command has --help, even with its required options missing', async () => {
    const r = await cli(['users', 'add', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: porta users add');
    expect(r.stdout).toContain('PORTA_PASSWORD');
    expect((await cli(['help', 'keys', 'rotate'])).stdout).toContain('Usage: porta keys rotate');
  });

  test('an unknown command exits 2 with a hint', async () => {
    expectUsageError(await cli(['frobnicate']), 'unknown command "frobnicate" (see porta --help)');
    expectUsageError(await cli(['clients', 'delete']), /unknown command "clients delete"; try porta clients <add\|list\|show\|update\|remove\|rotate-secret>/);
    expectUsageError(await cli([]), 'no command given');
  });
});

describe('porta clients', () => {
  const add = ['clients', 'add', '--id', 'library-app', '--secret', 'library-app-secret', '--redirect-uri', 'https://library.example.org/callback'];

  test('add → list shows it beside the file clients → remove', async () => {
    const added = await cli([...add, '--redirect-uri', 'https://library.example.org/cb2', '--post-logout-redirect-uri', 'https://library.example.org/', '--first-party', '--name', 'Library']);
    expect(added).toEqual({ code: 0, stdout: 'added client library-app (confidential, first party); it can sign people in now\n', stderr: '' });

    const list = await cli(['clients', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+TYPE\s+FIRST PARTY\s+SOURCE\s+REDIRECT URIS$/m);
    expect(list.stdout).toMatch(/^library-app\s+Library\s+confidential\s+yes\s+database\s+https:\/\/library\.example\.org\/callback https:\/\/library\.example\.org\/cb2$/m);
    expect(list.stdout).toMatch(/^admissions\s+Admissions\s+confidential\s+yes\s+file\s+/m);
    expect(list.stdout).toMatch(/^informastudenti\s+.*\s+public\s+yes\s+file\s+/m);
    expect(list.stdout).not.toContain('secret');

    const json = await cli(['clients', 'list', '--json']);
    const clients = JSON.parse(json.stdout) as { client_id: string; source: string; first_party: boolean }[];
    expect(clients).toContainEqual(expect.objectContaining({ client_id: 'library-app', source: 'database', first_party: true }));
    expect(clients).toContainEqual(expect.objectContaining({ client_id: 'admissions', source: 'file' }));
    expect(json.stdout).not.toContain('library-app-secret');

    const stored = await withDb(async (db) => ({
      metadata: JSON.parse(((await db('clients').where({ client_id: 'library-app' }).first()) as { metadata: string }).metadata) as Record<string, unknown>,
      audit: await db('audit_events').where({ client_id: 'library-app' }).select('action', 'actor'),
    }));
    expect(stored.metadata).toMatchObject({ client_secret: 'library-app-secret', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], first_party: true });
    expect(stored.audit).toEqual([{ action: 'client.added', actor: 'cli' }]);

    expect(await cli(['clients', 'remove', '--id', 'library-app'])).toEqual({ code: 0, stdout: 'removed client library-app\n', stderr: '' });
    expect((await cli(['clients', 'list'])).stdout).not.toContain('library-app');
    expectUsageError(await cli(['clients', 'remove', '--id', 'library-app']), 'no client with id "library-app"');
  });

  test('a public client has no secret', async () => {
    const r = await cli(['clients', 'add', '--id', 'kiosk', '--public', '--redirect-uri', 'http://localhost:8080/cb', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ client_id: 'kiosk', type: 'public', source: 'database' });
    expectUsageError(await cli(['clients', 'add', '--id', 'kiosk2', '--public', '--secret', 'x', '--redirect-uri', 'http://localhost:8080/cb']), 'a --public client has no secret');
  });

  test('bad input exits 2 with one line, and nothing is stored', async () => {
    expectUsageError(await cli(['clients', 'add', '--id', 'a', '--secret', 's', '--redirect-uri', 'not a url']), '--redirect-uri must be an absolute URL (got "not a url")');
    expectUsageError(await cli(['clients', 'add', '--id', 'a', '--secret', 's', '--redirect-uri', 'ftp://a.example/cb']), '--redirect-uri must be an http or https URL');
    expectUsageError(await cli(['clients', 'add', '--id', 'a', '--secret', 's', '--redirect-uri', 'https://a.example/cb#top']), '--redirect-uri must not contain a #fragment');
    expectUsageError(await cli(['clients', 'add', '--id', 'a', '--redirect-uri', 'https://a.example/cb', '--secret', '']), '--secret must not be empty (leave it out to have one generated)');
    expectUsageError(await cli(['clients', 'add', '--id', 'a b', '--secret', 's', '--redirect-uri', 'https://a.example/cb']), "--id must be 1-128 letters, digits, '.', '_' or '-'");
    expectUsageError(await cli(['clients', 'add', '--secret', 's', '--redirect-uri', 'https://a.example/cb']), '--id is required');
    expectUsageError(await cli(['clients', 'add', '--id', 'a', '--secret', 's']), '--redirect-uri is required');
    expectUsageError(await cli([...add, '--bogus']), 'unknown option --bogus for "porta clients add" (see porta clients add --help)');
    expectUsageError(await cli([...add, 'stray']), '"porta clients add" takes only --options');
    expect(JSON.parse((await cli(['clients', 'list', '--json'])).stdout).filter((c: { source: string }) => c.source === 'database')).toEqual([]);
  });

  test('a duplicate id, in the database or in the clients file, exits 2', async () => {
    expect((await cli(add)).code).toBe(0);
    expectUsageError(await cli(add), 'client id "library-app" is already in use (in the database)');
    expectUsageError(await cli(['clients', 'add', '--id', 'admissions', '--secret', 's', '--redirect-uri', 'https://a.example/cb']), 'client id "admissions" is already in use (in the clients file)');
  });

  test('a file client cannot be removed from the command line', async () => {
    expectUsageError(await cli(['clients', 'remove', '--id', 'admissions']), /client "admissions" comes from the clients file .*clients\.json; edit that file/);
  });

  test('production refuses short and example secrets', async () => {
    const clientsFile = join(dir, 'clients.json');
    writeFileSync(clientsFile, '[]');
    const production = { env: { ...PRODUCTION_ENV, CLIENTS_FILE: clientsFile } };
    const withSecret = (secret: string) => ['clients', 'add', '--id', 'library-app', '--secret', secret, '--redirect-uri', 'https://library.example.org/cb'];

    expectUsageError(await cli(withSecret('short-secret'), production), 'production refuses a secret shorter than 32 characters; leave out --secret to have a strong one generated');
    expectUsageError(await cli(withSecret('dev-only-but-long-enough-to-pass-the-length-check'), production), 'production refuses a development example secret (starts with "dev-only-")');
    const ok = await cli(withSecret('a-real-secret-of-at-least-thirty-two-characters'), production);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).not.toContain('a-real-secret');
  });

  test('production refuses the shipped example clients file, naming CLIENTS_FILE', async () => {
    const r = await cli(['clients', 'list'], { env: PRODUCTION_ENV });
    expectUsageError(r, /invalid configuration: CLIENTS_FILE: .*production refuses a development example secret/);
  });
});

describe('porta users', () => {
  const addMario = ['users', 'add', '--username', 'mrossi', '--email', 'm.rossi@example.org', '--given-name', 'Mario', '--family-name', 'Rossi'];

  test('add with PORTA_PASSWORD → list shows the person code → the password verifies', async () => {
    const added = await cli([...addMario, '--phone', '+39 333 123 4567', '--birthdate', '2001-04-30'], { env: { PORTA_PASSWORD: PASSWORD } });
    expect(added.code).toBe(0);
    expect(added.stderr).toBe('');
    const personCode = /^created user mrossi with person code (\d{8})\n$/.exec(added.stdout)?.[1];
    expect(personCode).toBeDefined();

    const list = await cli(['users', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^PERSON CODE\s+USERNAME\s+NAME\s+EMAIL\s+TYPE\s+STATUS$/m);
    expect(list.stdout).toMatch(new RegExp(`^${personCode}\\s+mrossi\\s+Mario Rossi\\s+m\\.rossi@example\\.org\\s+internal\\s+active$`, 'm'));

    const row = await withDb(async (db) => (await db('accounts').where({ username: 'mrossi' }).first()) as Record<string, unknown>);
    // SQLite stores a boolean as 1, PostgreSQL answers true.
    expect({ ...row, email_verified: Boolean(row.email_verified) }).toMatchObject({ person_code: personCode, email_verified: true, status: 'active', phone: '+393331234567', birthdate: '2001-04-30' });
    expect(await argon2.verify(row.password_hash as string, PASSWORD)).toBe(true);
    expect(await argon2.verify(row.password_hash as string, 'wrong-password-123')).toBe(false);
    expect(await withDb((db) => db('audit_events').where({ account_id: row.id as string }).select('action', 'actor'))).toEqual([{ action: 'account.created', actor: 'cli' }]);
  });

  test('add reads the password from the first line of stdin; --json gives the subject id', async () => {
    const added = await cli([...addMario, '--type', 'external', '--json'], { stdin: Readable.from([`${PASSWORD}\n`, 'ignored second line\n']) });
    expect(added.code).toBe(0);
    const created = JSON.parse(added.stdout) as { sub: string; username: string; person_code: string };
    expect(created).toEqual({ sub: expect.any(String), username: 'mrossi', person_code: expect.stringMatching(/^\d{8}$/) });

    const [listed] = JSON.parse((await cli(['users', 'list', '--json'])).stdout) as { sub: string; user_type: string }[];
    expect(listed).toMatchObject({ sub: created.sub, user_type: 'external' });
    const hash = await withDb(async (db) => ((await db('accounts').where({ id: created.sub }).first('password_hash')) as { password_hash: string }).password_hash);
    expect(await argon2.verify(hash, PASSWORD)).toBe(true);
  });

  test('on a terminal the password is asked for twice, without echo', async () => {
    /** A terminal that types the next line each time raw mode is switched on (as a person would, after the prompt). */
    function terminal(lines: string[]) {
      const tty = Object.assign(new PassThrough(), {
        isTTY: true,
        setRawMode(on: boolean) { if (on) tty.write(lines.shift()); return tty; },
      });
      return tty;
    }
    const typed = 'terminal-password-9x\u007fX\r';
    const added = await cli(addMario, { stdin: terminal([typed, typed]) });
    expect(added.code).toBe(0);
    expect(added.stderr).toBe('Password: \nRepeat password: \n');
    expect(added.stdout).not.toContain('terminal-password');
    const hash = await withDb(async (db) => ((await db('accounts').where({ username: 'mrossi' }).first('password_hash')) as { password_hash: string }).password_hash);
    expect(await argon2.verify(hash, 'terminal-password-9X')).toBe(true);

    const mismatch = await cli(['users', 'add', '--username', 'other', '--email', 'o@example.org', '--given-name', 'O', '--family-name', 'P'], { stdin: terminal(['one-password-123\r', 'another-password-123\r']) });
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toBe('Password: \nRepeat password: \nporta: the two passwords differ\n');
  });

  test('the password is never taken from an argument', async () => {
    const r = await cli([...addMario, `--password=${PASSWORD}`]);
    expectUsageError(r, 'unknown option --password for "porta users add": the password is read from PORTA_PASSWORD or the first line of stdin, never from an argument');
    expect(r.stderr).not.toContain(PASSWORD);
    const positional = await cli([...addMario, PASSWORD]);
    expectUsageError(positional, 'takes only --options');
    expect(positional.stderr).not.toContain(PASSWORD);
  });

  test('a missing password, or one the password policy refuses, exits 2', async () => {
    expectUsageError(await cli(addMario), 'no password given: set PORTA_PASSWORD or pipe it on stdin');
    expectUsageError(await cli(addMario, { stdin: Readable.from([]) }), 'no password given');
    expectUsageError(await cli(addMario, { env: { PORTA_PASSWORD: 'too-short' } }), 'password refused: The password needs at least 10 characters.');
    expectUsageError(await cli(addMario, { env: { PORTA_PASSWORD: 'x'.repeat(129) } }), 'password refused: The password can have at most 128 characters.');
    expectUsageError(await cli(addMario, { env: { PORTA_PASSWORD: 'qwertyuiop' } }), 'password refused: This password is too common');
    expectUsageError(await cli(addMario, { env: { PORTA_PASSWORD: 'MRossi-2024-pw' } }), 'password refused: The password must not contain your username.');
    expect((await cli(['users', 'list'])).stdout).toBe('no users\n');
  });

  test('invalid fields exit 2 before a password is read', async () => {
    const pw = { env: { PORTA_PASSWORD: PASSWORD } };
    expectUsageError(await cli(['users', 'add', '--email', 'a@b.c', '--given-name', 'A', '--family-name', 'B'], pw), '--username is required');
    expectUsageError(await cli(['users', 'add', '--username', '12345678', '--email', 'a@b.c', '--given-name', 'A', '--family-name', 'B'], pw), 'must not be only digits');
    expectUsageError(await cli(['users', 'add', '--username', 'a b', '--email', 'a@b.c', '--given-name', 'A', '--family-name', 'B'], pw), '--username must be 3-64');
    expectUsageError(await cli([...addMario.slice(0, 4), '--email', 'not-an-email', ...addMario.slice(6)], pw), '--email must be an email address');
    expectUsageError(await cli([...addMario, '--type', 'federated'], pw), '--type must be one of internal, external');
    expectUsageError(await cli([...addMario, '--birthdate', '2001-02-30'], pw), '--birthdate must be a date as YYYY-MM-DD');
    expectUsageError(await cli([...addMario, '--phone', '12'], pw), '--phone must be a phone number: with its country code (+39 333 1234567), or without it for a number of IT (PHONE_DEFAULT_REGION) (got "12")');
    expectUsageError(await cli([...addMario, '--phone', '3'.repeat(33)], pw), '--phone must be a phone number');
  });

  test('--phone is read as the registration form reads it, stored as E.164 and shown grouped', async () => {
    const pw = { PORTA_PASSWORD: PASSWORD };
    // Without a country code, a number of PHONE_DEFAULT_REGION (IT by default), as on the form.
    expect((await cli([...addMario, '--phone', '3331234567'], { env: pw })).code).toBe(0);
    const uk = ['users', 'add', '--username', 'jsmith', '--email', 'j.smith@example.org', '--given-name', 'John', '--family-name', 'Smith'];
    expect((await cli([...uk, '--phone', '020 7946 0958'], { env: { ...pw, PHONE_DEFAULT_REGION: 'GB' } })).code).toBe(0);
    const phones = await withDb((db) => db('accounts').orderBy('username').select('username', 'phone'));
    expect(phones).toEqual([{ username: 'jsmith', phone: '+442079460958' }, { username: 'mrossi', phone: '+393331234567' }]);
    // users show groups the number as its own country does; --json keeps E.164.
    expect((await cli(['users', 'show', 'mrossi'])).stdout).toMatch(/^phone\s+\+39 333 123 4567$/m);
    expect((await cli(['users', 'show', 'jsmith'])).stdout).toMatch(/^phone\s+\+44 20 7946 0958$/m);
    expect(JSON.parse((await cli(['users', 'show', 'mrossi', '--json'])).stdout)).toMatchObject({ phone: '+393331234567' });
  });

  test('a duplicate username or email exits 2', async () => {
    const pw = { env: { PORTA_PASSWORD: PASSWORD } };
    expect((await cli(addMario, pw)).code).toBe(0);
    expectUsageError(await cli(['users', 'add', '--username', 'MRossi', '--email', 'other@example.org', '--given-name', 'M', '--family-name', 'R'], pw), 'username already in use');
    expectUsageError(await cli(['users', 'add', '--username', 'mario2', '--email', 'M.Rossi@example.org', '--given-name', 'M', '--family-name', 'R'], pw), 'email already in use');
  });

  test('list --limit must be a positive whole number', async () => {
    expectUsageError(await cli(['users', 'list', '--limit', 'ten']), '--limit must be a whole number from 1 to 10000');
    expectUsageError(await cli(['users', 'list', '--limit', '0']), '--limit must be a whole number');
  });
});

describe('porta keys', () => {
  test('list after the first start shows two active keys; rotate retires them and adds two active ones', async () => {
    expect((await cli(['keys', 'list'])).stdout).toContain('no signing keys yet');
    // What the server does on its first start.
    await withDb(async (db) => {
      await createServices(loadConfig({ env }), db, { now: () => Date.now() }, pino({ level: 'silent' })).keys.ensure();
    });

    const before = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as { kid: string; alg: string; state: string }[];
    expect(before.map((k) => k.state)).toEqual(['active', 'active']);
    expect(before.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    const table = await cli(['keys', 'list']);
    expect(table.stdout).toMatch(/^KID\s+ALG\s+STATE\s+CREATED\s+RETIRED$/m);
    expect(table.stdout).toMatch(new RegExp(`^${before[0]!.kid}\\s+\\w+256\\s+active\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\s+-$`, 'm'));

    const rotated = await cli(['keys', 'rotate']);
    expect(rotated.code).toBe(0);
    const newKids = [...rotated.stdout.matchAll(/^new key (\S+)$/gm)].map((m) => m[1]);
    expect(newKids).toHaveLength(2);
    expect(rotated.stdout).toContain('Running Porta instances load the new keys by themselves within 10 seconds (KEYS_REFRESH_SECONDS) and sign with them from then on; no restart is needed. '
      + 'The retired keys stay published at /jwks for 61 minutes, until the tokens they signed have expired.\n');

    const after = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as { kid: string; state: string }[];
    const stateOf = (kid: string) => after.find((k) => k.kid === kid)?.state;
    expect(before.map((k) => stateOf(k.kid))).toEqual(['retired', 'retired']);
    expect(newKids.map((kid) => stateOf(kid!))).toEqual(['active', 'active']);

    // Once every token they signed has expired, the retired keys are reported as expired.
    const later = { now: () => Date.now() + 2 * 60 * 60 * 1000 };
    const expired = JSON.parse((await cli(['keys', 'list', '--json'], { clock: later })).stdout) as { kid: string; state: string }[];
    expect(before.map((k) => expired.find((e) => e.kid === k.kid)?.state)).toEqual(['expired', 'expired']);

    // With the refresh turned off, it says to restart.
    expect((await cli(['keys', 'rotate'], { env: { KEYS_REFRESH_SECONDS: '0' } })).stdout).toContain('KEYS_REFRESH_SECONDS is 0: restart every Porta instance now');
  });
});

describe('porta migrate and configuration', () => {
  test('migrate applies the migrations once, then reports up to date', async () => {
    const first = await cli(['migrate']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied 001_foundation$/m);
    expect(await cli(['migrate'])).toEqual({ code: 0, stdout: 'database is up to date\n', stderr: '' });
    expect(JSON.parse((await cli(['migrate', '--json'])).stdout)).toEqual({ applied: [] });
  });

  test('a bad configuration exits 2 with one line naming the setting', async () => {
    expectUsageError(await cli(['users', 'list'], { env: { PORT: 'abc' } }), /^porta: invalid configuration: PORT: .*\(got "abc"\)\n$/);
  });

  test('an unexpected failure exits 1 with one line and no stack trace', async () => {
    writeFileSync(join(dir, 'a-file'), '');
    const r = await cli(['users', 'list'], { env: { DATABASE_URL: join(dir, 'a-file', 'porta.sqlite') } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^porta: E(EXIST|NOTDIR)\b.*\n$/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('the compiled executable', () => {
  const main = fromRoot('dist', 'src', 'cli', 'main.js');

  /** Newest modification time of the TypeScript the CLI is compiled from. */
  function newestSource(): number {
    return Math.max(...['src', 'config', 'db'].flatMap((d) => readdirSync(fromRoot(d), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts')).map((f) => statSync(fromRoot(d, f)).mtimeMs)));
  }

  beforeAll(() => {
    let built = 0;
    try { built = statSync(main).mtimeMs; } catch { /* not built yet */ }
    // Type errors elsewhere still emit JavaScript; the checks below are what matter here.
    if (built < newestSource()) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: fromRoot(), stdio: 'ignore' });
  }, 180_000);

  const porta = (...args: string[]) => spawnSync(process.execPath, [fromRoot('bin', 'porta.js'), ...args], {
    cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 30_000,
  });

  test('--version prints the version from package.json', () => {
    const r = porta('--version');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${(JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version}\n`);
  });

  test('--help exits 0 with the usage', () => {
    const r = porta('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: porta <command> [options]');
    expect(r.stdout).toContain('users add');
  });

  test('users add without arguments exits 2 with one line on stderr', () => {
    const r = porta('users', 'add');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('porta: --username is required\n');
  });
});
