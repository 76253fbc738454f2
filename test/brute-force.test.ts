/**
 * Password guessing: growing delays and a temporary lock per account that never depend on the password
 * typed, an attempt ceiling per account, a failure budget per address, all spent atomically before the
 * hash (in one process and across processes); token-endpoint limits.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertText, Browser, type Page } from './helpers/browser.js';
import { StillClock, type TestClock } from './helpers/clock.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';

let smtp: SmtpCatcher;
let porta: TestPorta;
let rp: Rp;
let second: TestPorta | undefined;

beforeAll(async () => { smtp = await new SmtpCatcher().start(); });
afterAll(() => smtp.stop());
afterEach(async () => {
  await second?.close();
  second = undefined;
  await porta?.stop();
});

const INVALID = 'Invalid username or password';
const LOCKED = /^Your account is temporarily locked after too many wrong passwords\. Try again after .+, or reset your password\.$/;
const tooSoon = (seconds: number) => (seconds === 1 ? 'Too many wrong attempts: try again in 1 second.' : `Too many wrong attempts: try again in ${seconds} seconds.`);

let booted: Record<string, unknown> = {};
/** A still clock by default: the delays here are a second or two, which a busy machine's real time would run out. */
async function boot(overrides: Record<string, unknown> = {}, clock: TestClock = new StillClock()) {
  booted = overrides;
  porta = await startPorta({ smtpUrl: smtp.url, ...overrides }, { dir: mkdtempSync(join(tmpdir(), 'porta-test-')), clock });
  rp = await fixtureRp(porta.issuer, 'admissions');
}

/** One sign-in attempt from a fresh browser; `headers` e.g. an X-Forwarded-For a proxy would add. */
async function attempt(login: string, password: string, headers: Record<string, string> = {}, on: { porta: TestPorta; rp: Rp } = { porta, rp }): Promise<Page> {
  const browser = new Browser(on.porta.issuer, headers);
  const page = await browser.go((await on.rp.authorize()).url);
  return browser.submit(page, /\/login$/, { login, password });
}
const signedIn = (page: Page) => /^http:\/\/rp\.test\/admissions\/cb\?code=/.test(page.location ?? '');

test('during the growing delay every attempt, right or wrong, is told to wait', async () => {
  await boot({ loginDelayAfterFailures: 2, loginLockoutThreshold: 50 });
  const account = await porta.createAccount();
  for (let i = 0; i < 2; i++) expect(alertText((await attempt(account.username!, 'wrong-password-x')).body)).toBe(INVALID);

  // The third attempt waits 1 s: the right and a wrong password get the same answer, and neither is counted.
  const right = await attempt(account.username!, TEST_PASSWORD);
  const wrong = await attempt(account.username!, 'wrong-password-y');
  expect([right.status, alertText(right.body)]).toEqual([200, tooSoon(1)]);
  expect([wrong.status, alertText(wrong.body)]).toEqual([200, tooSoon(1)]);
  expect((await porta.services.accounts.findById(account.id))!.failedLogins).toBe(2);

  porta.clock.advance(1000);
  expect(alertText((await attempt(account.username!, 'wrong-password-z')).body)).toBe(INVALID);
  // Three failures: the next attempt waits 2 s.
  porta.clock.advance(500);
  expect(alertText((await attempt(account.username!, TEST_PASSWORD)).body)).toBe(tooSoon(2));
  porta.clock.advance(1500);
  expect(signedIn(await attempt(account.username!, TEST_PASSWORD))).toBe(true);
  expect((await porta.services.accounts.findById(account.id))!.failedLogins).toBe(0);
});

test('a locked account tells every attempt it is locked, whatever the password; the holder is emailed', async () => {
  await boot({ loginDelayAfterFailures: 100, loginLockoutThreshold: 3, loginLockoutMinutes: 15 });
  const account = await porta.createAccount({ email: `locked.${Date.now()}@example.org` });
  for (let i = 0; i < 3; i++) expect(alertText((await attempt(account.username!, `wrong-password-${i}`)).body)).toBe(INVALID);

  const notice = await smtp.last(account.email!);
  expect(notice.subject).toBe('Your account was locked after wrong passwords');
  expect(notice.text).toContain('3 times in a row');

  const wrong = await attempt(account.username!, 'still-wrong-password');
  const right = await attempt(account.username!, TEST_PASSWORD);
  expect(right.location).toBeUndefined();
  expect(alertText(wrong.body)).toMatch(LOCKED);
  expect(alertText(right.body)).toBe(alertText(wrong.body));
  // Attempts during the lock neither extend it nor send more mail.
  const before = await porta.services.accounts.findById(account.id);
  expect(before!.failedLogins).toBe(3);
  expect(smtp.to(account.email!)).toHaveLength(1);

  porta.clock.advance(15 * 60_000 + 1000);
  expect(signedIn(await attempt(account.username!, TEST_PASSWORD))).toBe(true);
});

test('the lock holds across a restart and `porta users unlock` lifts it', async () => {
  await boot({ loginDelayAfterFailures: 100, loginLockoutThreshold: 2 });
  const account = await porta.createAccount();
  for (let i = 0; i < 2; i++) await attempt(account.username!, `wrong-password-${i}`);
  porta = await porta.restart();
  rp = await fixtureRp(porta.issuer, 'admissions');
  expect(alertText((await attempt(account.username!, TEST_PASSWORD)).body)).toMatch(LOCKED);

  const { run } = await import('../src/cli/run.js');
  const out: string[] = [];
  const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) }, env: { DATABASE_URL: porta.databaseUrl, CLIENTS_FILE: '', NODE_ENV: 'test', LOG_LEVEL: 'silent' } };
  expect(await run(['users', 'unlock', account.username!], io as never)).toBe(0);
  expect(signedIn(await attempt(account.username!, TEST_PASSWORD))).toBe(true);
});

test('each login has an attempt ceiling that attempts during a lock spend too, from any address; unlock clears it', async () => {
  await boot({ trustProxy: true, loginDelayAfterFailures: 100, loginLockoutThreshold: 2, loginAttemptsPerAccountPer15Minutes: 5 });
  const account = await porta.createAccount();
  const from = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}` });
  for (let i = 0; i < 2; i++) expect(alertText((await attempt(account.username!, `wrong-password-${i}`, from(i))).body)).toBe(INVALID);
  for (let i = 2; i < 5; i++) expect(alertText((await attempt(account.username!, `wrong-password-${i}`, from(i))).body)).toMatch(LOCKED);
  const refused = await attempt(account.username!, TEST_PASSWORD, from(9));
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(alertText(refused.body)).toMatch(/^Too many attempts\. Please wait \d+ minutes and try again\.$/);
  // An unknown login runs out alike, so the ceiling does not tell which logins exist.
  for (let i = 0; i < 5; i++) expect(alertText((await attempt('no-such-person', `wrong-password-${i}`, from(20 + i))).body)).toBe(INVALID);
  expect((await attempt('no-such-person', 'wrong-password-x', from(30))).status).toBe(429);

  await porta.services.accounts.findById(account.id);
  const { Lockout } = await import('../src/accounts/lockout.js');
  await new Lockout(porta.services).unlock(account.id);
  expect(signedIn(await attempt(account.username!, TEST_PASSWORD, from(40)))).toBe(true);
});

test('an address that keeps failing gets 429 with Retry-After before any password is weighed; a success gives its point back', async () => {
  await boot({ loginFailuresPerIpPer15Minutes: 3 });
  const account = await porta.createAccount();
  await attempt('nobody0', 'wrong-password-x');
  for (let i = 0; i < 5; i++) expect(signedIn(await attempt(account.username!, TEST_PASSWORD))).toBe(true);
  for (let i = 1; i < 3; i++) expect(alertText((await attempt(`nobody${i}`, 'wrong-password-x')).body)).toBe(INVALID);
  const refused = await attempt('nobody-else', 'wrong-password-x');
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(alertText(refused.body)).toMatch(/^Too many attempts\. Please wait \d+ minutes and try again\.$/);
  // Even the right password: the budget is spent before anything is checked.
  expect((await attempt(account.username!, TEST_PASSWORD)).status).toBe(429);
});

describe('parallel attempts are counted one by one', () => {
  /** A second server on the same SQLite file and settings (its own connection and rate limiters), as a second process would be. */
  async function secondServer() {
    second = await startPorta({ smtpUrl: smtp.url, ...booted }, { dir: porta.dir, clock: porta.clock, databaseUrl: porta.databaseUrl });
    return { porta: second, rp: await fixtureRp(second.issuer, 'admissions') };
  }

  for (const where of ['one server', 'two servers on one database'] as const) {
    test(`${where}: the per-address budget holds under a burst`, async () => {
      await boot({ loginDelayAfterFailures: 3, loginLockoutThreshold: 1000, loginFailuresPerIpPer15Minutes: 10, loginAttemptsPerAccountPer15Minutes: 1000 });
      const targets = where === 'one server' ? [{ porta, rp }] : [{ porta, rp }, await secondServer()];
      const pages = await Promise.all(Array.from({ length: 30 }, (_, i) => attempt(`nobody${i}`, 'wrong-password-x', {}, targets[i % targets.length])));
      expect(pages.filter((p) => p.status === 429)).toHaveLength(20);
      expect(pages.filter((p) => alertText(p.body) === INVALID)).toHaveLength(10);
    });

    test(`${where}: a burst after the delay gets one attempt weighed, and a right password in it does not slip through`, async () => {
      await boot({ loginDelayAfterFailures: 3, loginLockoutThreshold: 1000, loginFailuresPerIpPer15Minutes: 1000, loginAttemptsPerAccountPer15Minutes: 1000 });
      const targets = where === 'one server' ? [{ porta, rp }] : [{ porta, rp }, await secondServer()];
      const account = await porta.createAccount();
      // From an unused account, 40 parallel wrong guesses: only the three before the delay are weighed.
      const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => attempt(account.username!, `wrong-password-${i}`, {}, targets[i % targets.length])));
      expect(burst.filter((p) => alertText(p.body) === INVALID)).toHaveLength(3);
      expect(burst.filter((p) => alertText(p.body) === tooSoon(1))).toHaveLength(37);
      expect((await porta.services.accounts.findById(account.id))!.failedLogins).toBe(3);

      // Once the delay is over, a burst of 29 wrong guesses and the right one: exactly one is weighed.
      porta.clock.advance(1000);
      const passwords = [...Array.from({ length: 29 }, (_, i) => `guess-${i}`), TEST_PASSWORD];
      const second = await Promise.all(passwords.map((p, i) => attempt(account.username!, p, {}, targets[i % targets.length])));
      const weighed = second.filter((p) => alertText(p.body) !== tooSoon(2));
      expect(weighed).toHaveLength(1);
      const failures = (await porta.services.accounts.findById(account.id))!.failedLogins;
      // Either a wrong guess was weighed (4 failures now), or the right one was, and only then signed in.
      if (signedIn(weighed[0]!)) expect(failures).toBe(0); else expect([alertText(weighed[0]!.body), failures]).toEqual([INVALID, 4]);
    });
  }
});

test('the token endpoint answers 429 in JSON past its per-address limit', async () => {
  await boot({ tokenRequestsPerIpPerMinute: 2 });
  const post = () => fetch(`${porta.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=x&client_secret=y' });
  expect((await post()).status).toBe(401);
  expect((await post()).status).toBe(401);
  const third = await post();
  expect(third.status).toBe(429);
  expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(await third.json()).toMatchObject({ error: 'temporarily_unavailable' });
});
