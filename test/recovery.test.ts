/** Forgot password and forgot username: without the helpdesk, without telling who has an account. */
import * as oidc from 'openid-client';
import { alertText, Browser, type Page } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';

const NEW_PASSWORD = 'Sentiero di montagna 77';
let smtp: SmtpCatcher;
let porta: TestPorta;
let admissions: Rp;
let n = 0;

beforeAll(async () => { smtp = await new SmtpCatcher().start(); });
afterAll(() => smtp.stop());
afterEach(() => porta?.stop());

async function boot(overrides: Record<string, unknown> = {}) {
  porta = await startPorta({ smtpUrl: smtp.url, selfServicePostsPerIpPerHour: 1000, recoveryMailsPerAccountPerHour: 100, ...overrides });
  admissions = await fixtureRp(porta.issuer, 'admissions');
}

/** An account with an address of its own, so mails to it are told apart across tests. */
const createAccount = (extra: Parameters<TestPorta['createAccount']>[0] = {}) =>
  porta.createAccount({ email: `recover${++n}.${Date.now()}@example.org`, ...extra });

/** The page without what differs between any two requests: the CSRF token. */
const sameApartFromCsrf = (page: Page) => page.body.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');

/** Waits, bounded, for something done in the background after the response (mail, audit). */
async function eventually(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((ok) => setTimeout(ok, 10));
  }
  throw new Error('condition not met within 2 s');
}

async function requestReset(identifier: string, browser = new Browser(porta.issuer), from = '/recover/password'): Promise<Page> {
  const form = await browser.go(from);
  expect(form.status).toBe(200);
  return browser.submit(form, '/recover/password', { identifier });
}

async function resetLink(email: string, count = 1): Promise<string> {
  const mail = await smtp.last(email, count);
  expect(mail.subject).toBe('Choose a new password for your university account');
  const link = mail.links.find((l) => l.includes('/recover/password/reset?token='));
  expect(link).toBeDefined();
  return link!;
}

async function signIn(browser: Browser, login: string, password: string) {
  const pending = await admissions.authorize({ scope: 'openid' });
  const page = await browser.go(pending.url);
  return { pending, done: await browser.submit(page, /\/login$/, { login, password }) };
}

describe('forgot password', () => {
  test('from the login page: a mailed single-use link, a new password, back into the sign-in, the service gets its code', async () => {
    await boot();
    const account = await createAccount();
    const browser = new Browser(porta.issuer);
    const pending = await admissions.authorize();
    const login = await browser.go(pending.url);
    const recoverHref = /href="(\/recover\/password\?interaction=[^"]+)"/.exec(login.body)![1]!;

    const sent = await requestReset(account.username!, browser, recoverHref);
    expect(sent.status).toBe(200);
    expect(sent.body).toContain('<h1>Check your inbox</h1>');
    expect(sent.body).toContain('If these details belong to an account, we have sent an email to its address with a link to choose a new password. The link is valid for 60 minutes and works once.');
    const uid = /\/recover\/password\?interaction=([\w-]+)/.exec(recoverHref)![1]!;
    expect(sent.body).toContain(`<a href="/interaction/${uid}">Back to sign in</a>`);

    const mail = await smtp.last(account.email!);
    expect(mail.text).toContain('Hello Maria,');
    expect(mail.text).toContain(`We received a request to choose a new password for your account ${account.username}.`);
    expect(mail.text).toContain('The link is valid for 60 minutes and works once.');
    const link = await resetLink(account.email!);
    expect(link.startsWith(`${porta.issuer}/recover/password/reset?token=`)).toBe(true);

    // Opening the link (as a mail scanner would, twice) spends nothing.
    await browser.go(link);
    const form = await browser.go(link);
    expect(form.status).toBe(200);
    expect(form.body).toContain(`Choose a new password for the account ${account.username}.`);
    expect(form.body).toContain('<label for="f-password">New password</label>');
    expect(form.body).toContain('<label for="f-password_confirm">Repeat the new password</label>');
    expect(form.body).not.toContain('Date of birth');

    const done = await browser.submit(form, '/recover/password/reset', { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(done.status).toBe(200);
    expect(done.body).toContain('<h1>Your password has been changed</h1>');
    const continueHref = /<a class="button" href="([^"]+)">Continue to sign in<\/a>/.exec(done.body)![1]!;
    expect(continueHref).toBe(`/interaction/${uid}`);

    // Back into the same authorization request: the old password no longer works, the new one does.
    const loginAgain = await browser.go(continueHref);
    expect(loginAgain.body).toContain('<h1>Sign in</h1>');
    const refused = await browser.submit(loginAgain, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(alertText(refused.body)).toBe('Invalid username or password');
    const back = await browser.submit(refused, /\/login$/, { login: account.username!, password: NEW_PASSWORD });
    expect(back.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
    const tokens = await admissions.callback(back.location!, pending);
    expect(tokens.claims()!.sub).toBe(account.id);

    const notice = await smtp.last(account.email!, 2);
    expect(notice.subject).toBe('The password of your university account was changed');
    expect(notice.text).toContain('Every session was signed out.');
    expect(notice.text).toContain(`${porta.issuer}/recover/password`);

    const actions = (await porta.services.audit.list({ accountId: account.id })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['password_reset.requested', 'password_reset.mailed', 'password_reset.completed']));
    const token = new URL(link).searchParams.get('token')!;
    const audit = await porta.services.db('audit_events').select('details');
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  test('the answer is the same for an existing and an unknown account, by username, person code or email', async () => {
    await boot();
    const account = await createAccount();
    const unknownEmail = `nobody.${Date.now()}@example.org`;
    const answers: Page[] = [];
    for (const identifier of [account.username!, 'nobody-here', account.personCode, '99999999', account.email!, unknownEmail]) {
      answers.push(await requestReset(identifier));
    }
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    expect(new Set(answers.map(sameApartFromCsrf)).size).toBe(1);

    // Only the existing account got mail: one per request.
    await smtp.last(account.email!, 3);
    expect(smtp.to(account.email!)).toHaveLength(3);
    expect(smtp.to(unknownEmail)).toHaveLength(0);
    // Each new link replaces the previous one.
    const links = smtp.to(account.email!).map((m) => m.links.find((l) => l.includes('token='))!);
    expect((await new Browser(porta.issuer).go(links[0]!)).status).toBe(410);
    expect((await new Browser(porta.issuer).go(links[2]!)).status).toBe(200);
  });

  test('a link works once: the second use is told it was used', async () => {
    await boot();
    const account = await createAccount();
    await requestReset(account.username!);
    const link = await resetLink(account.email!);
    const browser = new Browser(porta.issuer);
    const form = await browser.go(link);
    const first = await browser.submit(form, '/recover/password/reset', { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(first.body).toContain('<h1>Your password has been changed</h1>');

    const again = await browser.submit(form, '/recover/password/reset', { password: 'Another fine password 9', password_confirm: 'Another fine password 9' });
    expect(again.status).toBe(410);
    expect(again.body).toContain('<h1>This link was already used</h1>');
    expect(alertText(again.body)).toBe('Each link works once. If you already chose a new password, sign in with it; otherwise ask for a new link.');
    const reopened = await browser.go(link);
    expect(reopened.status).toBe(410);
    expect(reopened.body).toContain('<h1>This link was already used</h1>');
    // The second password was not set.
    expect((await signIn(new Browser(porta.issuer), account.username!, NEW_PASSWORD)).done.location).toMatch(/\?code=/);
  });

  test('an expired link says so and offers a new one; an unknown link says it is not valid', async () => {
    await boot({ passwordResetTtlMinutes: 30 });
    const account = await createAccount();
    await requestReset(account.username!);
    const link = await resetLink(account.email!);
    const browser = new Browser(porta.issuer);
    const form = await browser.go(link);
    expect(form.status).toBe(200);

    porta.clock.advance(30 * 60_000 + 1000);
    const expired = await browser.go(link);
    expect(expired.status).toBe(410);
    expect(expired.body).toContain('<h1>This link has expired</h1>');
    expect(alertText(expired.body)).toBe('Links to choose a new password are valid for 30 minutes. Ask for a new one.');
    expect(expired.body).toContain('<a class="button" href="/recover/password">Ask for a new link</a>');
    const late = await browser.submit(form, '/recover/password/reset', { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(late.status).toBe(410);
    expect(late.body).toContain('<h1>This link has expired</h1>');
    expect((await signIn(new Browser(porta.issuer), account.username!, TEST_PASSWORD)).done.location).toMatch(/\?code=/);

    const forged = await browser.go('/recover/password/reset?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(forged.status).toBe(404);
    expect(forged.body).toContain('<h1>This link is not valid</h1>');
  });

  test('a password against the policy is refused next to its field and the link stays usable', async () => {
    await boot();
    const account = await createAccount();
    await requestReset(account.email!);
    const browser = new Browser(porta.issuer);
    const form = await browser.go(await resetLink(account.email!));

    const short = await browser.submit(form, '/recover/password/reset', { password: 'short', password_confirm: 'short' });
    expect(short.status).toBe(200);
    expect(short.body).toContain('<p class="field-error" id="f-password-error">The password needs at least 10 characters.</p>');
    expect(short.body).toContain('role="alert"');
    const mismatch = await browser.submit(short, '/recover/password/reset', { password: NEW_PASSWORD, password_confirm: `${NEW_PASSWORD}x` });
    expect(mismatch.body).toContain('<p class="field-error" id="f-password_confirm-error">The two passwords do not match.</p>');
    const same = await browser.submit(mismatch, '/recover/password/reset', { password: TEST_PASSWORD, password_confirm: TEST_PASSWORD });
    expect(same.body).toContain('The new password must be different from the current one.');

    const done = await browser.submit(same, '/recover/password/reset', { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(done.body).toContain('<h1>Your password has been changed</h1>');
  });

  test('a reset ends every session, refresh token and grant of the account', async () => {
    await boot();
    const account = await createAccount();
    const thief = new Browser(porta.issuer);
    const { pending, done } = await signIn(thief, account.username!, TEST_PASSWORD);
    const tokens = await admissions.callback(done.location!, pending);
    expect(tokens.refresh_token).toBeTruthy();
    const countRows = async (model: string) => Number(((await porta.services.db('oidc_payloads').where({ account_id: account.id, model }).count({ n: '*' }).first()) as { n: number }).n);
    expect(await countRows('Session')).toBe(1);
    expect(await countRows('Grant')).toBe(1);

    await requestReset(account.username!);
    const browser = new Browser(porta.issuer);
    const form = await browser.go(await resetLink(account.email!));
    await browser.submit(form, '/recover/password/reset', { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });

    await expect(oidc.refreshTokenGrant(admissions.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(admissions.config, tokens.access_token, account.id)).rejects.toBeDefined();
    for (const model of ['Session', 'Grant', 'RefreshToken', 'AccessToken']) expect(await countRows(model)).toBe(0);
    // The old session is gone: the same browser must sign in again.
    const again = await thief.go((await admissions.authorize()).url);
    expect(again.status).toBe(200);
    expect(again.body).toContain('<h1>Sign in</h1>');
  });

  test('with PASSWORD_RESET_REQUIRES_BIRTHDATE the date of birth must match; five wrong dates end the link', async () => {
    await boot({ passwordResetRequiresBirthdate: true });
    const account = await createAccount({ birthdate: '2001-05-17' });
    await requestReset(account.username!);
    const browser = new Browser(porta.issuer);
    const form = await browser.go(await resetLink(account.email!));
    expect(form.body).toContain('<legend>Date of birth</legend>');
    expect(form.body).toContain('<label for="f-birthdate">Day</label>');

    const wrong = await browser.submit(form, '/recover/password/reset', { birthdate_day: '18', birthdate_month: '5', birthdate_year: '2001', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(wrong.status).toBe(200);
    expect(wrong.body).toContain('<p class="field-error" id="f-birthdate-error">The date of birth does not match our records.</p>');
    expect((await signIn(new Browser(porta.issuer), account.username!, TEST_PASSWORD)).done.location).toMatch(/\?code=/);

    // Day, month and year in their own fields, with or without a leading zero.
    const right = await browser.submit(wrong, '/recover/password/reset', { birthdate_day: '17', birthdate_month: '05', birthdate_year: '2001', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(right.body).toContain('<h1>Your password has been changed</h1>');

    await requestReset(account.username!);
    const second = await browser.go(await resetLink(account.email!, 3));
    let page = second;
    for (let i = 1; i < 5; i++) {
      page = await browser.submit(page, '/recover/password/reset', { birthdate_day: `${i}`, birthdate_month: '5', birthdate_year: '2001', password: 'Yet another password 1', password_confirm: 'Yet another password 1' });
      expect(page.status).toBe(200);
    }
    const locked = await browser.submit(page, '/recover/password/reset', { birthdate_day: '9', birthdate_month: '5', birthdate_year: '2001', password: 'Yet another password 1', password_confirm: 'Yet another password 1' });
    expect(locked.status).toBe(410);
    expect(alertText(locked.body)).toBe('The date of birth was wrong too many times, so this link no longer works. Ask for a new one.');
    const afterLock = await browser.submit(page, '/recover/password/reset', { birthdate_day: '17', birthdate_month: '5', birthdate_year: '2001', password: 'Yet another password 1', password_confirm: 'Yet another password 1' });
    expect(afterLock.status).toBe(410);
    expect((await signIn(new Browser(porta.issuer), account.username!, NEW_PASSWORD)).done.location).toMatch(/\?code=/);
  });

  test('an account locked by wrong passwords is unlocked by a reset', async () => {
    await boot({ loginDelayAfterFailures: 100, loginLockoutThreshold: 2 });
    const account = await createAccount();
    for (let i = 0; i < 2; i++) await signIn(new Browser(porta.issuer), account.username!, `wrong-password-${i}`);
    expect((await porta.services.accounts.findById(account.id))!.lockedUntil).not.toBeNull();
    await requestReset(account.username!);
    const browser = new Browser(porta.issuer);
    // The lock notice came first, then the link.
    expect((await smtp.last(account.email!)).subject).toBe('Your account was locked after wrong passwords');
    const form = await browser.go(await resetLink(account.email!, 2));
    await browser.submit(form, '/recover/password/reset', { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect((await porta.services.accounts.findById(account.id))!.lockedUntil).toBeNull();
    expect((await signIn(new Browser(porta.issuer), account.username!, NEW_PASSWORD)).done.location).toMatch(/\?code=/);
  });

  test('mails per account are limited; over the limit the answer is unchanged and nothing is sent', async () => {
    await boot({ recoveryMailsPerAccountPerHour: 2 });
    const account = await createAccount();
    const answers: Page[] = [];
    for (let i = 0; i < 3; i++) answers.push(await requestReset(account.username!));
    expect(new Set(answers.map(sameApartFromCsrf)).size).toBe(1);
    await smtp.last(account.email!, 2);
    // The third request was refused in the background: wait (bounded) for its audit event.
    await eventually(async () => (await porta.services.audit.list({ accountId: account.id })).some((e) => e.action === 'password_reset.mail_limited'));
    expect(smtp.to(account.email!)).toHaveLength(2);
  });

  test('each address may post the form a limited number of times per hour (429 with Retry-After)', async () => {
    await boot({ selfServicePostsPerIpPerHour: 2 });
    for (let i = 0; i < 2; i++) expect((await requestReset(`someone${i}`)).status).toBe(200);
    const refused = await requestReset('someone-else');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(alertText(refused.body)).toMatch(/^Too many attempts\. Please wait \d+ minutes and try again\.$/);
  });

  test('a form without its CSRF token changes nothing', async () => {
    await boot();
    const account = await createAccount();
    await requestReset(account.username!);
    const link = await resetLink(account.email!);
    const browser = new Browser(porta.issuer);
    await browser.go(link);
    const token = new URL(link).searchParams.get('token')!;
    const forged = await browser.request('/recover/password/reset', { form: { token, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD, _csrf: 'forged' } });
    expect(forged.status).toBe(403);
    expect((await browser.go(link)).status).toBe(200);
  });
});

describe('forgot username', () => {
  test('linked beside "Forgot password": the address receives the username and person code; unknown addresses get the same answer', async () => {
    await boot();
    const account = await createAccount();
    const browser = new Browser(porta.issuer);
    const login = await browser.go((await admissions.authorize()).url);
    expect(login.body).toMatch(/<a href="\/recover\/password\?interaction=[\w-]+">Forgot your password\?<\/a>\s*<a href="\/recover\/username\?interaction=[\w-]+">Forgot your username\?<\/a>/);
    const href = /href="(\/recover\/username\?interaction=[^"]+)"/.exec(login.body)![1]!;

    const ask = async (email: string, from = '/recover/username') => {
      const b = new Browser(porta.issuer);
      const form = await b.go(from);
      expect(form.body).toContain('<label for="f-email">Email address</label>');
      return b.submit(form, '/recover/username', { email });
    };
    const known = await ask(account.email!);
    const unknown = await ask(`nobody.${Date.now()}@example.org`);
    expect(known.status).toBe(200);
    expect(known.body).toContain('If this address belongs to an account, we have sent its username and person code to it.');
    expect(sameApartFromCsrf(unknown)).toBe(sameApartFromCsrf(known));
    // A malformed address is not a secret: it is pointed out next to the field.
    const malformed = await ask('not-an-address');
    expect(malformed.body).toContain('<p class="field-error" id="f-email-error">Enter an email address like name@example.org.</p>');
    expect(malformed.body).toContain('value="not-an-address"');

    const mail = await smtp.last(account.email!);
    expect(mail.subject).toBe('Your university account username');
    expect(mail.text).toContain(`Username: ${account.username}`);
    expect(mail.text).toContain(`Person code: ${account.personCode}`);
    expect(mail.text).not.toMatch(/password/i);

    // From the sign-in: the way back into it.
    const fromLogin = await browser.submit(await browser.go(href), '/recover/username', { email: account.email! });
    expect(fromLogin.body).toMatch(/<a href="\/interaction\/[\w-]+">Back to sign in<\/a>/);
  });

  test('in the person’s language', async () => {
    await boot();
    const account = await createAccount();
    const browser = new Browser(porta.issuer, { 'accept-language': 'it' });
    const form = await browser.go('/recover/username');
    expect(form.body).toContain('<h1>Hai dimenticato il nome utente?</h1>');
    const sent = await browser.submit(form, '/recover/username', { email: account.email! });
    expect(sent.body).toContain('Se questo indirizzo appartiene a un account, gli abbiamo inviato il nome utente e il codice persona.');
    const mail = await smtp.last(account.email!);
    expect(mail.subject).toBe('Il nome utente del tuo account di ateneo');
    expect(mail.text).toContain(`Codice persona: ${account.personCode}`);
  });
});
