/** Password guessing: growing delays and a temporary lock per account, a failure budget per address, token-endpoint limits. */
import { alertText, Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { relyingParty, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';

let smtp: SmtpCatcher;
let porta: TestPorta;
let rp: Rp;

beforeAll(async () => { smtp = await new SmtpCatcher().start(); });
afterAll(() => smtp.stop());
afterEach(() => porta?.stop());

async function boot(overrides: Record<string, unknown> = {}) {
  porta = await startPorta({ smtpUrl: smtp.url, ...overrides });
  rp = await relyingParty(porta.issuer, 'admissions', 'test-admissions-secret-0123456789abcdef', 'http://rp.test/admissions/cb');
}

async function attempt(login: string, password: string) {
  const browser = new Browser(porta.issuer);
  const page = await browser.go((await rp.authorize()).url);
  return browser.submit(page, /\/login$/, { login, password });
}

test('after a few wrong passwords the account answers only after a growing delay', async () => {
  await boot({ loginDelayAfterFailures: 2, loginLockoutThreshold: 50 });
  const account = await porta.createAccount();
  for (let i = 0; i < 2; i++) expect(alertText((await attempt(account.username!, 'wrong-password-x')).body)).toBe('Invalid username or password');

  // Within the 1 s delay even the right password is not weighed, and the answer is the usual one.
  const tooSoon = await attempt(account.username!, TEST_PASSWORD);
  expect(alertText(tooSoon.body)).toBe('Invalid username or password');
  porta.clock.advance(1000);
  expect((await attempt(account.username!, TEST_PASSWORD)).location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
  expect((await porta.services.accounts.findById(account.id))!.failedLogins).toBe(0);
});

test('enough wrong passwords lock the account for a while; only the password holder is told; the holder is emailed', async () => {
  await boot({ loginDelayAfterFailures: 100, loginLockoutThreshold: 3, loginLockoutMinutes: 15 });
  const account = await porta.createAccount({ email: `locked.${Date.now()}@example.org` });
  for (let i = 0; i < 3; i++) await attempt(account.username!, `wrong-password-${i}`);

  const notice = await smtp.last(account.email!);
  expect(notice.subject).toBe('Your account was locked after wrong passwords');
  expect(notice.text).toContain('3 times in a row');

  expect(alertText((await attempt(account.username!, 'still-wrong-password')).body)).toBe('Invalid username or password');
  const proved = await attempt(account.username!, TEST_PASSWORD);
  expect(proved.location).toBeUndefined();
  expect(alertText(proved.body)).toMatch(/^Your account is temporarily locked after too many wrong passwords\. Try again after .+, or reset your password\.$/);

  porta.clock.advance(15 * 60_000 + 1000);
  expect((await attempt(account.username!, TEST_PASSWORD)).location).toMatch(/\?code=/);
});

test('the lock holds across a restart and `porta users unlock` lifts it', async () => {
  await boot({ loginDelayAfterFailures: 100, loginLockoutThreshold: 2 });
  const account = await porta.createAccount();
  for (let i = 0; i < 2; i++) await attempt(account.username!, `wrong-password-${i}`);
  porta = await porta.restart();
  rp = await relyingParty(porta.issuer, 'admissions', 'test-admissions-secret-0123456789abcdef', 'http://rp.test/admissions/cb');
  expect(alertText((await attempt(account.username!, TEST_PASSWORD)).body)).toMatch(/temporarily locked/);

  const { run } = await import('../src/cli/run.js');
  const out: string[] = [];
  const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) }, env: { DATABASE_URL: porta.databaseUrl, CLIENTS_FILE: '', NODE_ENV: 'test', LOG_LEVEL: 'silent' } };
  expect(await run(['users', 'unlock', account.username!], io as never)).toBe(0);
  expect((await attempt(account.username!, TEST_PASSWORD)).location).toMatch(/\?code=/);
});

test('an address that keeps failing gets 429 with Retry-After before any password is weighed', async () => {
  await boot({ loginFailuresPerIpPer15Minutes: 3 });
  for (let i = 0; i < 3; i++) await attempt(`nobody${i}`, 'wrong-password-x');
  const refused = await attempt('nobody-else', 'wrong-password-x');
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(alertText(refused.body)).toMatch(/^Too many attempts\. Please wait \d+ minutes and try again\.$/);
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
