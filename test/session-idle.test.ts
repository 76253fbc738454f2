/**
 * The SSO session ends after SESSION_IDLE_TIMEOUT_MINUTES without use, and after SESSION_TTL_SECONDS
 * however much it is used; the person then signs in again. Its cookie ends with the browser.
 */
import { Browser, type Page } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { relyingParty, type Rp } from './helpers/rp.js';
import type { Account } from '../src/accounts/account.js';

let porta: TestPorta;
let admissions: Rp;
let grants: Rp;
const MINUTE = 60_000;

beforeAll(async () => {
  porta = await startPorta({ sessionIdleTimeoutMinutes: 60, sessionTtlSeconds: 3 * 3600 });
  admissions = await relyingParty(porta.issuer, 'admissions', 'test-admissions-secret-0123456789abcdef', 'http://rp.test/admissions/cb');
  grants = await relyingParty(porta.issuer, 'grants', 'test-grants-secret-0123456789abcdefghij', 'http://rp.test/grants/cb');
});
afterAll(() => porta.stop());

const CODE = /^http:\/\/rp\.test\/(admissions|grants)\/cb\?code=/;

async function signIn(browser: Browser, account: Account): Promise<Page> {
  const login = await browser.go((await admissions.authorize()).url);
  expect(login.body).toContain('<h1>Sign in</h1>');
  const done = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
  expect(done.location).toMatch(CODE);
  return done;
}

/** Another service through the session: straight back with a code (true), or the sign-in page (false). */
async function sso(browser: Browser, rp = grants): Promise<boolean> {
  const page = await browser.go((await rp.authorize()).url);
  if (page.body.includes('<h1>Sign in</h1>')) return false;
  expect(page.location).toMatch(CODE);
  return true;
}

test('a session used within the idle timeout lives on; unused for longer, the next service asks to sign in again', async () => {
  const account = await porta.createAccount();
  const browser = new Browser(porta.issuer);
  await signIn(browser, account);

  porta.clock.advance(50 * MINUTE);
  expect(await sso(browser)).toBe(true); // used: the hour starts again
  porta.clock.advance(50 * MINUTE);
  expect((await browser.go('/account')).body).toContain('<h1>Your account</h1>'); // the personal area is use too
  porta.clock.advance(50 * MINUTE);
  expect(await sso(browser)).toBe(true);

  porta.clock.advance(61 * MINUTE);
  expect(await sso(browser)).toBe(false);
  expect((await browser.go('/account')).body).toContain('<h1>Sign in</h1>');
  await signIn(browser, account);
  expect(await sso(browser)).toBe(true);
});

test('however much it is used, a session ends SESSION_TTL_SECONDS after the sign-in', async () => {
  const account = await porta.createAccount();
  const browser = new Browser(porta.issuer);
  await signIn(browser, account);
  for (let used = 0; used < 3; used++) {
    porta.clock.advance(55 * MINUTE);
    expect(await sso(browser)).toBe(true);
  }
  porta.clock.advance(16 * MINUTE); // 3 h 01 min after the sign-in, 16 min after the last use
  expect(await sso(browser)).toBe(false);
});

test('the SSO cookie is a browser-session cookie: no Expires, no Max-Age', async () => {
  const account = await porta.createAccount();
  const done = await signIn(new Browser(porta.issuer), account);
  const session = done.headers.getSetCookie().filter((c) => /^_session(\.sig)?=/.test(c));
  expect(session).toHaveLength(2);
  for (const cookie of session) {
    expect(cookie).not.toMatch(/expires=/i);
    expect(cookie).not.toMatch(/max-age=/i);
    expect(cookie).toMatch(/httponly/i);
  }
});
