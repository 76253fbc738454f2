/** Passwords expire after PASSWORD_MAX_AGE_DAYS: a reminder before, a forced change inside the sign-in after. */
import * as oidc from 'openid-client';
import type { Account } from '../src/accounts/account.js';
import { formatDate } from '../src/i18n/format.js';
import { passwordExpiryState } from '../src/policy/password-expiry.js';
import { alertText, Browser, type Page } from './helpers/browser.js';
import { DAY } from './helpers/clock.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';

const NEW_PASSWORD = 'Sentiero di montagna 77';
let smtp: SmtpCatcher;
let porta: TestPorta;
let admissions: Rp;
let grants: Rp;
let n = 0;

beforeAll(async () => { smtp = await new SmtpCatcher().start(); });
afterAll(() => smtp.stop());
beforeEach(async () => {
  // Sessions here outlive days of the moved clock: no idle timeout (test/session-idle.test.ts has it).
  porta = await startPorta({ smtpUrl: smtp.url, selfServicePostsPerIpPerHour: 1000, sessionIdleTimeoutMinutes: 0 });
  admissions = await fixtureRp(porta.issuer, 'admissions');
  grants = await fixtureRp(porta.issuer, 'grants');
});
afterEach(() => porta.stop());

const createAccount = (extra: Parameters<TestPorta['createAccount']>[0] = {}) => porta.createAccount({ email: `expiry${++n}.${Date.now()}@example.org`, ...extra });

/** Pretends the password was set `days` ago. */
const passwordSetDaysAgo = (account: Account, days: number) =>
  porta.services.db('accounts').where({ id: account.id }).update({ password_changed_at: porta.clock.now() - days * DAY });

async function signIn(browser: Browser, rp: Rp, login: string, password = TEST_PASSWORD, params: Record<string, string> = {}) {
  const pending = await rp.authorize(params);
  const page = await browser.go(pending.url);
  return { pending, done: await browser.submit(page, /\/login$/, { login, password }) };
}

const h1 = (page: Page) => /<h1>([^<]*)<\/h1>/.exec(page.body)?.[1];

describe('an expired password', () => {
  test('the right password leads to a forced change, then on to the service that asked, which gets its code', async () => {
    const account = await createAccount();
    porta.clock.advance(366 * DAY);
    const browser = new Browser(porta.issuer);
    const { done: step } = await signIn(browser, admissions, account.username!);

    expect(step.status).toBe(200);
    expect(step.url).toMatch(/\/interaction\/[\w-]+\/password_expiry$/);
    expect(h1(step)).toBe('Your password has expired');
    expect(step.body).toContain('Passwords must be changed every 365 days. Choose a new password to continue to Admissions.');
    // The password was typed a moment ago: it is not asked again.
    expect(step.body).not.toContain('f-current');
    expect(step.body).toContain('<label for="f-password">New password</label>');

    const same = await browser.submit(step, /\/password_expiry$/, { password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    expect(same.body).toContain('<p class="field-error" id="f-password-error">The new password must be different from the current one.</p>');
    const weak = await browser.submit(same, /\/password_expiry$/, { password: 'short', password_confirm: 'short' });
    expect(weak.body).toContain('The password needs at least 10 characters.');
    // No way round it: there is no "continue" while the password is expired.
    expect(weak.body).not.toContain('/password_expiry/continue');
    const skip = await browser.submit(weak, /\/abort$/);
    expect(new URL(skip.location!).searchParams.get('error')).toBe('access_denied');

    expect(skip.location).not.toContain('code=');

    // Again in a fresh browser, this time through to the end.
    const fresh = new Browser(porta.issuer);
    const again = await signIn(fresh, admissions, account.username!);
    expect(h1(again.done)).toBe('Your password has expired');
    const back = await fresh.submit(again.done, /\/password_expiry$/, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(back.status).toBe(303);
    expect(back.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
    const tokens = await admissions.callback(back.location!, again.pending);
    expect(tokens.claims()!.sub).toBe(account.id);

    const notice = await smtp.last(account.email!);
    expect(notice.subject).toBe('The password of your university account was changed');
    const event = (await porta.services.audit.list({ accountId: account.id })).find((e) => e.action === 'password.changed');
    expect(event).toMatchObject({ clientId: 'admissions', details: { reason: 'expired' } });

    // The new password is fresh: the next sign-in goes straight through, the old one no longer works.
    expect((await signIn(new Browser(porta.issuer), grants, account.username!, NEW_PASSWORD)).done.location).toMatch(/^http:\/\/rp\.test\/grants\/cb\?code=/);
    expect(alertText((await signIn(new Browser(porta.issuer), grants, account.username!)).done.body)).toBe('Invalid username or password');
  });

  test('a wrong password never reaches the change step', async () => {
    const account = await createAccount();
    porta.clock.advance(366 * DAY);
    const { done } = await signIn(new Browser(porta.issuer), admissions, account.username!, 'not-the-password');
    expect(alertText(done.body)).toBe('Invalid username or password');
    expect(done.body).not.toContain('password_expiry');
  });

  test('a session that outlives the password is stopped at the next service; the current password is asked too', async () => {
    const account = await createAccount();
    await passwordSetDaysAgo(account, 364);
    const browser = new Browser(porta.issuer);
    const first = await signIn(browser, admissions, account.username!);
    // Within the warning window: the reminder, then on.
    expect(h1(first.done)).toBe('Your password expires soon');
    const through = await browser.submit(first.done, /\/continue$/);
    const tokens = await admissions.callback(through.location!, first.pending);

    porta.clock.advance(2 * DAY);
    // prompt=none cannot skip it: the service is told interaction is required.
    const silent = await grants.authorize({ prompt: 'none' });
    const refused = await browser.go(silent.url);
    expect(new URL(refused.location!).searchParams.get('error')).toBe('interaction_required');

    const pending = await grants.authorize();
    const step = await browser.go(pending.url);
    expect(h1(step)).toBe('Your password has expired');
    expect(step.body).toContain('Enter your current password too, to make sure it is you.');
    expect(step.body).toContain('<label for="f-current">Current password</label>');
    const wrong = await browser.submit(step, /\/password_expiry$/, { current: 'not-the-password', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(wrong.body).toContain('<p class="field-error" id="f-current-error">The current password is not correct.</p>');
    const back = await browser.submit(wrong, /\/password_expiry$/, { current: TEST_PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(back.location).toMatch(/^http:\/\/rp\.test\/grants\/cb\?code=/);
    expect((await grants.callback(back.location!, pending)).claims()!.sub).toBe(account.id);

    // Tokens issued before the change are revoked; this browser's session goes on.
    await expect(oidc.refreshTokenGrant(admissions.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await browser.go((await admissions.authorize()).url)).location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
  });

  test('the personal area is behind the same step', async () => {
    const account = await createAccount();
    porta.clock.advance(400 * DAY);
    const browser = new Browser(porta.issuer);
    const login = await browser.go('/account');
    const step = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(step.body).toContain('Choose a new password to continue to Porta.');
    const home = await browser.submit(step, /\/password_expiry$/, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(h1(home)).toBe('Your account');
    expect(home.body).toContain(`It expires on ${formatDate('en', porta.clock.now() + 365 * DAY, 'Europe/Rome')}.`);
  });

  test('a session that outlives the password cannot use the personal area: the change comes first, then the page asked for', async () => {
    const account = await createAccount();
    const browser = new Browser(porta.issuer);
    const login = await browser.go('/account');
    expect(h1(await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD }))).toBe('Your account');
    const emailForm = await browser.go('/account/email');

    await passwordSetDaysAgo(account, 366);
    for (const path of ['/account', '/account/email', '/account/password']) {
      const page = await browser.go(path);
      expect(page.url).toMatch(/\/interaction\/[\w-]+\/password_expiry$/);
      expect(h1(page)).toBe('Your password has expired');
    }
    // A form posted from a page opened before the expiry changes nothing.
    const before = smtp.to(`new.${account.email!}`).length;
    const posted = await browser.submit(emailForm, /\/account\/email$/, { email: `new.${account.email!}`, password: TEST_PASSWORD });
    expect(h1(posted)).toBe('Your password has expired');
    expect(smtp.to(`new.${account.email!}`)).toHaveLength(before);

    const step = await browser.go('/account/email');
    const back = await browser.submit(step, /\/password_expiry$/, { current: TEST_PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(back.url).toMatch(/\/account\/email$/);
    expect(back.body).toContain('<label for="f-email">');
  });

  test('federated accounts are exempt', async () => {
    const account = await createAccount({ userType: 'federated' });
    porta.clock.advance(800 * DAY);
    expect((await signIn(new Browser(porta.issuer), admissions, account.username!)).done.location).toMatch(/\?code=/);
  });
});

describe('a password about to expire', () => {
  test('sign-in shows a reminder with the date; “not now” goes on to the service, once per sign-in', async () => {
    const account = await createAccount();
    await passwordSetDaysAgo(account, 355);
    const expires = formatDate('en', (await porta.services.accounts.findById(account.id))!.passwordChangedAt! + 365 * DAY, 'Europe/Rome');
    const browser = new Browser(porta.issuer);
    const { pending, done } = await signIn(browser, admissions, account.username!);
    expect(h1(done)).toBe('Your password expires soon');
    expect(done.body).toContain(`Your password expires on ${expires}. Change it now, or you will have to when you next sign in after that date.`);
    expect(done.body).toMatch(/<a class="button" href="\/interaction\/[\w-]+\/password_expiry\?change=1">Change it now<\/a>/);

    const back = await browser.submit(done, /\/continue$/);
    expect(back.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
    expect((await admissions.callback(back.location!, pending)).claims()!.sub).toBe(account.id);
    // The session carries on to other services without another reminder.
    expect((await browser.go((await grants.authorize()).url)).location).toMatch(/^http:\/\/rp\.test\/grants\/cb\?code=/);
    expect((await porta.services.audit.list({ accountId: account.id })).map((e) => e.action)).toContain('password.expiry_postponed');
  });

  test('“change it now” changes the password inside the sign-in and goes on to the service', async () => {
    const account = await createAccount();
    await passwordSetDaysAgo(account, 360);
    const browser = new Browser(porta.issuer, { 'accept-language': 'it' });
    const { pending, done } = await signIn(browser, admissions, account.username!);
    expect(h1(done)).toBe('La password sta per scadere');
    const href = /href="(\/interaction\/[\w-]+\/password_expiry\?change=1)"/.exec(done.body)![1]!;
    const form = await browser.go(href);
    expect(h1(form)).toBe('Scegli una nuova password');
    expect(form.body).toContain('<label for="f-password">Nuova password</label>');
    const back = await browser.submit(form, /\/password_expiry$/, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(back.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
    await admissions.callback(back.location!, pending);
    expect((await smtp.last(account.email!)).subject).toBe('La password del tuo account di ateneo è stata cambiata');
    // Fresh now: no reminder next time.
    expect((await signIn(new Browser(porta.issuer), grants, account.username!, NEW_PASSWORD)).done.location).toMatch(/\?code=/);
  });
});

describe('the rule', () => {
  const base: Account = {
    id: 'x', personCode: '12345678', username: 'u', passwordHash: '$argon2id$…', givenName: 'A', familyName: 'B', birthdate: null, email: null,
    emailVerified: false, phone: null, userType: 'internal', status: 'active', locale: null, createdAt: 0, activatedAt: 0, lastLoginAt: null,
    passwordChangedAt: 0, disabledAt: null, failedLogins: 0, lastFailedAt: null, lockedUntil: null,
  } as Account;
  const config = { passwordMaxAgeDays: 365, passwordExpiryWarningDays: 14 };

  test('valid, expiring within the warning days, expired from the maximum age; 0 days never expires; no password or federated: exempt', () => {
    expect(passwordExpiryState(base, config, 350 * DAY)).toBe('valid');
    expect(passwordExpiryState(base, config, 351 * DAY)).toBe('expiring');
    expect(passwordExpiryState(base, config, 365 * DAY)).toBe('expired');
    expect(passwordExpiryState(base, { ...config, passwordExpiryWarningDays: 0 }, 364 * DAY)).toBe('valid');
    expect(passwordExpiryState(base, { ...config, passwordMaxAgeDays: 0 }, 5000 * DAY)).toBe('valid');
    expect(passwordExpiryState({ ...base, userType: 'federated' }, config, 5000 * DAY)).toBe('valid');
    expect(passwordExpiryState({ ...base, passwordHash: null }, config, 5000 * DAY)).toBe('valid');
  });
});
