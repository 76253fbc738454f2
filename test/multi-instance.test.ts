/**
 * Several instances (issue 13): three Porta processes on one PostgreSQL database behind a round-robin
 * load balancer (test/helpers/balancer.ts), with one issuer (the balancer's address), the same secrets and
 * one mail server. A person's sign-in hops between instances; lockouts, sessions, clients and signing keys
 * added by the CLI are shared; a rolling restart fails no request; a killed instance loses no acknowledged
 * registration while the others go on serving.
 *
 * PostgreSQL only (SQLite is one machine's database): it runs in the suite's PostgreSQL pass
 * (PORTA_TEST_DATABASE_URL), like test/read-only-database.test.ts.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { fromRoot } from '../src/paths.js';
import { run } from '../src/cli/run.js';
import { openDatabase } from '../src/storage/db.js';
import { Balancer } from './helpers/balancer.js';
import { alertText, Browser } from './helpers/browser.js';
import { createTestDatabase, dropTestDatabase, onPostgres } from './helpers/database.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/process.js';
import { fixtureRp, signInThrough } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';

// Bounded, generously: every restart is a tsx process compiling the sources (15 s and more on a loaded 2-core machine).
jest.setTimeout(240_000);

const PASSWORD = 'Tramonto sul lago 42';
const API = 'https://api.multi.test';
/** A service the CLI adds (its secret changes when the CLI rotates it). */
const BATCH = { id: 'nightly-reports', secret: 'nightly-reports-secret-0123456789abcdefghij' };
const SIGNED_IN = /^http:\/\/rp\.test\/admissions\/cb\?code=/;

let dir: string;
let databaseUrl: string;
let smtp: SmtpCatcher;
let balancer: Balancer;
let ports: number[];
let env: Record<string, string>;
const instances: ServerProcess[] = [];

/** `porta …` as an operator runs it on another machine: same database and secrets, its own process state. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, {
    stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) },
    env: { DATABASE_URL: databaseUrl, CLIENTS_FILE: env.CLIENTS_FILE!, NODE_ENV: 'test', LOG_LEVEL: 'silent', SMTP_URL: smtp.url, KEYS_ENCRYPTION_SECRET: env.KEYS_ENCRYPTION_SECRET!, PORTA_PASSWORD: PASSWORD },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

let people = 0;
async function addPerson(): Promise<{ username: string; email: string; sub: string }> {
  const username = `multi${++people}`;
  const email = `${username}@example.org`;
  const added = await cli('users', 'add', '--username', username, '--email', email, '--given-name', 'Maria', '--family-name', 'Rossi', '--json');
  expect(added).toMatchObject({ code: 0, stderr: '' });
  return { username, email, sub: (JSON.parse(added.stdout) as { sub: string }).sub };
}

const startInstance = (i: number) => startServerProcess({ ...env, PORT: String(ports[i]) });

/** Signals instance `i`; answers how it ended and, for a failure's message, what it logged. */
async function stopInstance(i: number, signal: 'SIGTERM' | 'SIGKILL') {
  instances[i]!.child.kill(signal);
  return { exit: await instances[i]!.exited, log: instances[i]!.output() };
}

function tokenRequest(body: Record<string, string> = { grant_type: 'client_credentials', resource: API, scope: 'reports:read' }, secret = BATCH.secret) {
  return fetch(`${balancer.url}/token`, {
    method: 'POST', body: new URLSearchParams(body).toString(),
    headers: { authorization: `Basic ${Buffer.from(`${BATCH.id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** A fresh browser's registration through the balancer; true when Porta acknowledged it. */
async function register(username: string): Promise<boolean> {
  const browser = new Browser(balancer.url);
  const page = await browser.go('/register');
  const res = await browser.submit(page, '/register', {
    given_name: 'Ada', family_name: 'Lovelace', birthdate_day: '10', birthdate_month: '12', birthdate_year: '1999', phone: '3331234567', email: `${username}@example.org`,
    username, password: PASSWORD, password_confirm: PASSWORD, privacy: 'yes',
  });
  return res.status === 200 && res.body.includes('Check your inbox');
}

(onPostgres ? describe : describe.skip)('three instances behind a load balancer (PostgreSQL only: PORTA_TEST_DATABASE_URL)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'porta-multi-'));
    databaseUrl = await createTestDatabase(dir);
    smtp = await new SmtpCatcher().start();
    ports = await Promise.all([freePort(), freePort(), freePort()]);
    balancer = await new Balancer(ports).start();
    env = {
      DATABASE_URL: databaseUrl, ISSUER: balancer.url, TRUST_PROXY: 'true', SMTP_URL: smtp.url,
      CLIENTS_FILE: fromRoot('test/fixtures/clients.json'),
      // What every instance must share for one's cookies and keys to be good on the others.
      COOKIE_KEYS: 'multi-instance-cookie-key-0123456789abcdef', KEYS_ENCRYPTION_SECRET: 'multi-instance-keys-encryption-secret-0123456789',
      RESOURCE_SERVERS: JSON.stringify({ [API]: { scope: 'reports:read' } }),
      KEYS_REFRESH_SECONDS: '1', LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_DELAY_AFTER_FAILURES: '50',
      REGISTRATIONS_PER_IP_PER_HOUR: '100000', TOKEN_REQUESTS_PER_IP_PER_MINUTE: '0',
    };
    // Started together on an empty database: one migrates and creates the keys, the others wait for it.
    instances.push(...await Promise.all([0, 1, 2].map(startInstance)));
  }, 180_000);

  afterAll(async () => {
    for (const instance of instances) {
      if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGKILL');
      await instance.exited;
    }
    await balancer?.stop();
    await smtp?.stop();
    await dropTestDatabase(databaseUrl);
    rmSync(dir, { recursive: true, force: true });
  });

  test('started together, the instances publish the same signing keys: one set (and one SAML SP key pair each for signing and encryption) was created', async () => {
    const sets = await Promise.all(ports.map(async (port) => (await fetch(`http://127.0.0.1:${port}/jwks`)).json() as Promise<JSONWebKeySet>));
    expect(sets[1]).toEqual(sets[0]);
    expect(sets[2]).toEqual(sets[0]);
    const keys = JSON.parse((await cli('keys', 'list', '--json')).stdout) as { state: string }[];
    expect(keys.filter((k) => k.state === 'active')).toHaveLength(2);
    const db = openDatabase(databaseUrl);
    try {
      expect(await db('saml_sp_keys').whereNull('retired_at').pluck('use')).toHaveLength(2);
    } finally {
      await db.destroy();
    }
  });

  test('one person’s sign-in has each request land on another instance, and its tokens (access, refresh) are good on all', async () => {
    const person = await addPerson();
    const rp = await fixtureRp(balancer.url, 'admissions');
    const from = balancer.served.length;
    const { pending, done } = await signInThrough(rp, new Browser(balancer.url), person.username, PASSWORD);
    expect(done.location).toMatch(SIGNED_IN);
    const tokens = await rp.callback(done.location!, pending);
    expect(tokens.claims()!.sub).toBe(person.sub);
    // authorize, sign-in page, password, resume, token: each on the next instance, all three used.
    const path = balancer.backendsSince(from);
    expect(path.length).toBeGreaterThanOrEqual(5);
    path.slice(1).forEach((backend, i) => expect(backend).not.toBe(path[i]));
    expect(new Set(path).size).toBe(3);
    // The access token is accepted by every instance.
    for (let i = 0; i < 3; i++) expect((await oidc.fetchUserInfo(rp.config, tokens.access_token, person.sub)).sub).toBe(person.sub);
    expect(new Set(balancer.backendsSince(balancer.served.length - 3)).size).toBe(3);
    // Refresh tokens rotate: each refresh, on the next instance, uses the one the previous instance issued.
    let refresh = tokens.refresh_token!;
    for (let i = 0; i < 3; i++) {
      const refreshed = await oidc.refreshTokenGrant(rp.config, refresh);
      expect(refreshed.claims()!.sub).toBe(person.sub);
      refresh = refreshed.refresh_token!;
    }
    expect(new Set(balancer.backendsSince(balancer.served.length - 3)).size).toBe(3);
  });

  test('a session ended through one instance is ended on all: the cookie no longer signs in through any', async () => {
    const person = await addPerson();
    const rp = await fixtureRp(balancer.url, 'admissions');
    const browser = new Browser(balancer.url);
    const { pending, done } = await signInThrough(rp, browser, person.username, PASSWORD);
    const tokens = await rp.callback(done.location!, pending);

    /** prompt=none three times in a row: one request each, so one on every instance. */
    const silently = async () => {
      const from = balancer.served.length;
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await browser.request((await rp.authorize({ prompt: 'none' })).url)).location ?? '');
      expect(new Set(balancer.backendsSince(from)).size).toBe(3);
      return answers;
    };
    for (const answer of await silently()) expect(answer).toMatch(SIGNED_IN);

    const posted = await browser.request('/session/end', { form: { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://rp.test/admissions/', state: 'bye' } });
    const confirm = await browser.go(posted.location!);
    const out = await browser.submit(confirm, /\/session\/end\/confirm$/, { logout: 'yes' });
    expect(out.location).toBe('http://rp.test/admissions/?state=bye');

    for (const answer of await silently()) expect(new URL(answer).searchParams.get('error')).toBe('login_required');
  });

  test('a self-service flow goes on wherever its next step lands: register on one, activate on another, used on a third', async () => {
    expect(await register('flowing')).toBe(true);
    const link = (await smtp.last('flowing@example.org')).links.find((l) => l.startsWith(`${balancer.url}/activate?token=`))!;
    const browser = new Browser(balancer.url);
    // The link opened on one instance, the activation posted to the next, its second try to the third.
    balancer.aim(0);
    const page = await browser.go(link);
    balancer.aim(1);
    expect((await browser.submit(page, '/activate')).body).toContain('Your account is active');
    balancer.aim(2);
    const from = balancer.served.length;
    const again = await browser.submit(page, '/activate');
    expect([again.status, alertText(again.body)]).toEqual([410, 'The account is already active. Sign in from the service you want to use.']);
    expect(balancer.served[from]).toMatchObject({ method: 'POST', backend: 2 });
    const { done } = await signInThrough(await fixtureRp(balancer.url, 'admissions'), new Browser(balancer.url), 'flowing', PASSWORD);
    expect(done.location).toMatch(SIGNED_IN);
  });

  test('the lockout counts wrong passwords on every instance: three, each on another one, lock the account', async () => {
    const person = await addPerson();
    const rp = await fixtureRp(balancer.url, 'admissions');
    const attempt = async (password: string, backend: number) => {
      const browser = new Browser(balancer.url);
      const page = await browser.go((await rp.authorize()).url);
      balancer.aim(backend); // the password goes to this instance
      const from = balancer.served.length;
      const answer = await browser.submit(page, /\/login$/, { login: person.username, password });
      expect(balancer.served[from]).toMatchObject({ method: 'POST', backend });
      return answer;
    };
    for (let i = 0; i < 3; i++) expect(alertText((await attempt(`wrong-password-${i}`, i)).body)).toBe('Invalid username or password');
    for (let i = 0; i < 3; i++) {
      expect(alertText((await attempt(PASSWORD, i)).body)).toMatch(/^Your account is temporarily locked after too many wrong passwords\./);
    }
    const notice = await smtp.last(person.email);
    expect(notice.subject).toBe('Your account was locked after wrong passwords');
    expect(notice.text).toContain('3 times in a row');
  });

  test('a client added by the CLI is served by all three at once; keys rotated by the CLI sign on all within seconds', async () => {
    const added = await cli('clients', 'add', '--id', BATCH.id, '--secret', BATCH.secret, '--name', 'Nightly reports', '--grant-type', 'client_credentials');
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const tokens = async () => {
      const from = balancer.served.length;
      const issued = [];
      for (let i = 0; i < 3; i++) {
        const res = await tokenRequest();
        expect(res.status).toBe(200);
        issued.push((await res.json() as { access_token: string }).access_token);
      }
      expect(new Set(balancer.backendsSince(from)).size).toBe(3);
      return issued;
    };
    const before = await tokens();

    const rotated = await cli('keys', 'rotate', '--json');
    expect(rotated.code).toBe(0);
    const { created } = JSON.parse(rotated.stdout) as { created: string[] };
    // Every instance publishes the new keys within KEYS_REFRESH_SECONDS (1 here), without a restart.
    const deadline = Date.now() + 15_000;
    for (const port of ports) {
      for (;;) {
        const kids = ((await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as JSONWebKeySet).keys.map((k) => k.kid);
        if (created.every((kid) => kids.includes(kid))) break;
        if (Date.now() > deadline) throw new Error(`instance on ${port} still publishes ${kids.join(' ')}, not ${created.join(' ')}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    const after = await tokens();
    const published = createLocalJWKSet((await (await fetch(`${balancer.url}/jwks`)).json()) as JSONWebKeySet);
    for (const token of after) {
      expect(created).toContain(decodeProtectedHeader(token).kid);
      await expect(jwtVerify(token, published, { issuer: balancer.url, audience: API })).resolves.toBeDefined();
    }
    // Tokens signed before the rotation stay verifiable: the retired key is still published.
    for (const token of before) await expect(jwtVerify(token, published, { issuer: balancer.url, audience: API })).resolves.toBeDefined();
  });

  test('a client secret rotated by the CLI: the old one is refused by all three at once, the new one accepted', async () => {
    const old = BATCH.secret;
    const rotated = await cli('clients', 'rotate-secret', '--id', BATCH.id, '--json');
    expect(rotated.code).toBe(0);
    BATCH.secret = (JSON.parse(rotated.stdout) as { client_secret: string }).client_secret;
    const answers = async (secret: string) => {
      const from = balancer.served.length;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await tokenRequest(undefined, secret)).status);
      expect(new Set(balancer.backendsSince(from)).size).toBe(3);
      return statuses;
    };
    expect(await answers(old)).toEqual([401, 401, 401]);
    expect(await answers(BATCH.secret)).toEqual([200, 200, 200]);
  });

  test('a rolling restart (SIGTERM one instance at a time) fails no request', async () => {
    const failures: string[] = [];
    const stopMs: number[] = [];
    let done = 0;
    let stop = false;
    const tokenLoop = async () => {
      while (!stop) {
        try {
          const res = await tokenRequest();
          if (res.status !== 200) failures.push(`token: ${res.status} ${await res.text()}`);
          else done++;
        } catch (err) {
          failures.push(`token: ${String(err)}`);
        }
      }
    };
    const person = await addPerson();
    const rp = await fixtureRp(balancer.url, 'admissions');
    const signInLoop = async () => {
      while (!stop) {
        try {
          const { pending, done: end } = await signInThrough(rp, new Browser(balancer.url), person.username, PASSWORD);
          if (!SIGNED_IN.test(end.location ?? '')) failures.push(`sign-in: ${end.status} ${alertText(end.body)}`);
          else if ((await rp.callback(end.location!, pending)).claims()!.sub !== person.sub) failures.push('sign-in: wrong sub');
          else done++;
        } catch (err) {
          failures.push(`sign-in: ${String(err)}`);
        }
      }
    };
    const load = Promise.all([tokenLoop(), tokenLoop(), signInLoop()]);
    try {
      for (let i = 0; i < 3; i++) {
        const before = done;
        const stopping = Date.now();
        expect(await stopInstance(i, 'SIGTERM')).toMatchObject({ exit: 0 });
        stopMs.push(Date.now() - stopping);
        instances[i] = await startInstance(i);
        expect(done).toBeGreaterThan(before); // requests went on while it was away
      }
    } finally {
      stop = true;
      await load;
    }
    expect(failures).toEqual([]);
    expect(balancer.failed).toEqual([]);
    // Kept-alive connections from the balancer close after their answer, so a stop does not wait for
    // them to fall idle (Node's keep-alive timeout is 5 s; main.ts gives up after 10 s and exits 1).
    expect(Math.max(...stopMs)).toBeLessThan(4000);
  });

  test('SIGKILL of one instance under load: the others keep serving, and every acknowledged registration is there', async () => {
    const acknowledged: string[] = [];
    const afterKill: { username: string; ok: boolean }[] = [];
    let killed = false;
    let stop = false;
    let n = 0;
    const registrations = async () => {
      while (!stop) {
        const username = `load${++n}`;
        const startedAfterKill = killed;
        let ok = false;
        try {
          ok = await register(username);
        } catch { /* cut off with the killed instance: not acknowledged */ }
        if (ok) acknowledged.push(username);
        if (startedAfterKill) afterKill.push({ username, ok });
      }
    };
    const load = Promise.all(Array.from({ length: 20 }, registrations));
    try {
      for (const until = Date.now() + 30_000; acknowledged.length < 10 && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
      expect((await stopInstance(1, 'SIGKILL')).exit).toBe('SIGKILL');
      killed = true;
      for (const until = Date.now() + 30_000; afterKill.length < 20 && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
    } finally {
      stop = true;
      await load;
    }
    // The two left answered everything begun after the kill.
    expect(afterKill.length).toBeGreaterThanOrEqual(20);
    expect(afterKill.filter((r) => !r.ok)).toEqual([]);
    const db = openDatabase(databaseUrl);
    try {
      const present = (await db('accounts').whereIn('username', acknowledged).pluck('username')) as string[];
      expect(present.sort()).toEqual([...acknowledged].sort());
    } finally {
      await db.destroy();
    }
  });
});
