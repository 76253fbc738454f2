/**
 * Two-factor authentication as a relying service and a person see it: require_2fa and acr_values, the
 * step-up over SSO, acr/amr/auth_time in the ID token, the set-up during sign-in, recovery codes,
 * replays, lockout.
 */
import { newTotpSecret } from '../src/mfa/totp.js';
import { alertText, Browser, type Page } from './helpers/browser.js';
import { StillClock } from './helpers/clock.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { relyingParty, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';
import { totp } from './helpers/totp.js';

const MFA = 'https://refeds.org/profile/mfa';
const SFA = 'https://refeds.org/profile/sfa';
let smtp: SmtpCatcher;
let porta: TestPorta;
let admissions: Rp;
let tuition: Rp;
let partner: Rp;
let n = 0;

beforeAll(async () => {
  smtp = await new SmtpCatcher().start();
  porta = await startPorta({ smtpUrl: smtp.url, helpdeskContact: 'helpdesk@university.example', selfServicePostsPerIpPerHour: 1000 }, { clock: new StillClock() });
  admissions = await relyingParty(porta.issuer, 'admissions', 'test-admissions-secret-0123456789abcdef', 'http://rp.test/admissions/cb');
  tuition = await relyingParty(porta.issuer, 'tuition', 'test-tuition-secret-0123456789abcdefghij', 'http://rp.test/tuition/cb');
  partner = await relyingParty(porta.issuer, 'partner-tool', 'test-partner-secret-0123456789abcdefghij', 'http://rp.test/partner/cb');
});
afterAll(async () => { await porta.stop(); await smtp.stop(); });

const h1 = (page: Page) => /<h1>([^<]*)<\/h1>/.exec(page.body)?.[1];
const callback = (page: Page) => new URL(page.location!).searchParams;
const createAccount = (extra: Parameters<TestPorta['createAccount']>[0] = {}) => porta.createAccount({ email: `twofactor${++n}.${Date.now()}@example.org`, ...extra });

/** An account with an authenticator app (and recovery codes); each later code must be of a later step. */
async function withApp() {
  const account = await createAccount();
  const secret = newTotpSecret();
  await porta.services.secondFactors.addTotp(account.id, 'My phone', secret, 0);
  const recoveryCodes = await porta.services.secondFactors.recoveryCodes.regenerate(account.id);
  return { account, secret, recoveryCodes };
}
/** The current code, after moving the clock one step on (so it was never used). */
function nextCode(secret: string): string {
  porta.clock.advance(30_000);
  return totp(secret, porta.clock.now());
}

async function signIn(browser: Browser, rp: Rp, login: string, params: Record<string, string> = {}, password = TEST_PASSWORD) {
  const pending = await rp.authorize(params);
  const page = await browser.go(pending.url);
  expect(h1(page)).toBe('Sign in');
  return { pending, done: await browser.submit(page, /\/login$/, { login, password }) };
}

describe('a service that requires two-factor authentication (tuition fees)', () => {
  test('a password-only SSO session is stepped up: only the code is asked, and the ID token says mfa with the first auth_time', async () => {
    const { account, secret } = await withApp();
    const browser = new Browser(porta.issuer);
    const first = await signIn(browser, admissions, account.username!);
    expect(first.done.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
    const sfa = (await admissions.callback(first.done.location!, first.pending)).claims()!;
    expect(sfa).toMatchObject({ acr: SFA, amr: ['pwd'] });

    const pending = await tuition.authorize();
    const step = await browser.go(pending.url);
    expect(step.url).toMatch(/\/interaction\/[\w-]+\/second_factor$/);
    expect(h1(step)).toBe('Two-factor authentication');
    expect(step.body).not.toContain('name="password"');
    expect(step.body).toContain('<label for="f-code">Code</label>');

    const wrong = await browser.submit(step, /\/second_factor$/, { code: '000000' === totp(secret, porta.clock.now()) ? '111111' : '000000' });
    expect(wrong.status).toBe(422);
    expect(alertText(wrong.body)).toBe('This code is not correct, or it was already used. Enter the current code from your app.');

    const done = await browser.submit(wrong, /\/second_factor$/, { code: nextCode(secret) });
    expect(done.location).toMatch(/^http:\/\/rp\.test\/tuition\/cb\?code=/);
    const claims = (await tuition.callback(done.location!, pending)).claims()!;
    expect(claims).toMatchObject({ sub: account.id, acr: MFA, amr: ['pwd', 'otp', 'mfa'] });
    expect(claims.auth_time).toBe(sfa.auth_time);

    // The step-up added to the same session: the next service that asks gets it without a code.
    const again = await tuition.authorize({ max_age: '3600' });
    const sso = await browser.go(again.url);
    expect(sso.location).toMatch(/^http:\/\/rp\.test\/tuition\/cb\?code=/);
    expect((await tuition.callback(sso.location!, again)).claims()).toMatchObject({ acr: MFA, auth_time: sfa.auth_time });
    const events = (await porta.services.audit.list({ accountId: account.id })).map((e) => e.action);
    expect(events).toEqual(expect.arrayContaining(['mfa.failed', 'mfa.verified']));
  });

  test('max_age=0 after a step-up: the password and the second factor are asked again, and auth_time is the new sign-in', async () => {
    const { account, secret } = await withApp();
    const browser = new Browser(porta.issuer);
    const first = await signIn(browser, tuition, account.username!);
    const stepped = await browser.submit(first.done, /\/second_factor$/, { code: nextCode(secret) });
    const before = (await tuition.callback(stepped.location!, first.pending)).claims()!;
    expect(before).toMatchObject({ acr: MFA });

    porta.clock.advance(60_000);
    const pending = await tuition.authorize({ max_age: '0' });
    const login = await browser.go(pending.url);
    expect(h1(login)).toBe('Sign in');
    const step = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(step.url).toMatch(/\/second_factor$/);
    const done = await browser.submit(step, /\/second_factor$/, { code: nextCode(secret) });
    const claims = (await tuition.callback(done.location!, pending)).claims()!;
    expect(claims).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'] });
    expect(claims.auth_time).toBeGreaterThan(before.auth_time!);
  });

  test('prompt=none from a password-only session answers interaction_required, and no code', async () => {
    const { account } = await withApp();
    const browser = new Browser(porta.issuer);
    await signIn(browser, admissions, account.username!);
    const silent = await browser.go((await tuition.authorize({ prompt: 'none' })).url);
    expect(silent.location).toMatch(/^http:\/\/rp\.test\/tuition\/cb\?/);
    expect(callback(silent).get('error')).toBe('interaction_required');
    expect(callback(silent).get('code')).toBeNull();
  });

  test('a replayed code is refused, in another browser too', async () => {
    const { account, secret } = await withApp();
    const code = nextCode(secret);
    const one = new Browser(porta.issuer);
    const first = await signIn(one, tuition, account.username!);
    expect(first.done.url).toMatch(/\/second_factor$/);
    expect((await one.submit(first.done, /\/second_factor$/, { code })).location).toMatch(/\/tuition\/cb\?code=/);

    const two = new Browser(porta.issuer);
    const second = await signIn(two, tuition, account.username!);
    const replay = await two.submit(second.done, /\/second_factor$/, { code });
    expect(replay.status).toBe(422);
    expect(alertText(replay.body)).toBe('This code is not correct, or it was already used. Enter the current code from your app.');
  });

  test('a recovery code works once instead of a code, and its holder is told how many are left', async () => {
    const { account, recoveryCodes } = await withApp();
    const browser = new Browser(porta.issuer);
    const { pending, done: step } = await signIn(browser, tuition, account.username!);
    const done = await browser.submit(step, /\/second_factor$/, { code: recoveryCodes[3]!.toLowerCase() });
    expect(done.location).toMatch(/\/tuition\/cb\?code=/);
    expect((await tuition.callback(done.location!, pending)).claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'] });

    const mail = await smtp.last(account.email!);
    expect(mail.subject).toBe('A recovery code of your university account was used');
    expect(mail.text).toContain('A recovery code was used to sign in to your account. Recovery codes left: 9.');

    const other = new Browser(porta.issuer);
    const again = await signIn(other, tuition, account.username!);
    const refused = await other.submit(again.done, /\/second_factor$/, { code: recoveryCodes[3]! });
    expect(alertText(refused.body)).toBe('This code is not correct, or it was already used. Enter the current code from your app.');
  });

  test('the page speaks Italian', async () => {
    const { account } = await withApp();
    const browser = new Browser(porta.issuer, { 'accept-language': 'it' });
    const pending = await tuition.authorize();
    const login = await browser.go(pending.url);
    const step = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(h1(step)).toBe('Autenticazione a due fattori');
    expect(step.body).toContain('Il codice di 6 cifre della tua app di autenticazione, oppure uno dei tuoi codici di recupero.');
    const wrong = await browser.submit(step, /\/second_factor$/, { code: '' });
    expect(alertText(wrong.body)).toBe('Inserisci il codice della tua app di autenticazione o un codice di recupero.');
  });
});

describe('services that do not require it', () => {
  test('the partner tool and admissions ask only for the password; the ID token says sfa', async () => {
    const { account } = await withApp();
    const browser = new Browser(porta.issuer);
    const { done } = await signIn(browser, partner, account.username!);
    expect(done.url).not.toContain('second_factor');
    expect(h1(done)).toBe('Allow access');
    const adm = await signIn(new Browser(porta.issuer), admissions, account.username!);
    expect(adm.done.location).toMatch(/\/admissions\/cb\?code=/);
    expect((await admissions.callback(adm.done.location!, adm.pending)).claims()).toMatchObject({ acr: SFA, amr: ['pwd'] });
  });

  test('a request with acr_values naming the REFEDS MFA profile asks for the second factor at a service that does not require it', async () => {
    const { account, secret } = await withApp();
    const browser = new Browser(porta.issuer);
    const { pending, done: step } = await signIn(browser, admissions, account.username!, { acr_values: `${MFA} ${SFA}` });
    expect(step.url).toMatch(/\/second_factor$/);
    const done = await browser.submit(step, /\/second_factor$/, { code: nextCode(secret) });
    expect((await admissions.callback(done.location!, pending)).claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'] });
  });

  test('discovery lists the assurance profiles', async () => {
    const discovery = await (await fetch(`${porta.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(discovery.acr_values_supported).toEqual([MFA, SFA]);
  });
});

describe('wrong codes count toward the lockout like wrong passwords', () => {
  test('after three wrong codes the next waits; at ten the account locks and its holder is mailed', async () => {
    const { account, secret } = await withApp();
    const browser = new Browser(porta.issuer);
    let page = (await signIn(browser, tuition, account.username!)).done;
    const right = totp(secret, porta.clock.now());
    const bad = right === '123456' ? '654321' : '123456';
    for (let i = 0; i < 3; i++) page = await browser.submit(page, /\/second_factor$/, { code: bad });
    page = await browser.submit(page, /\/second_factor$/, { code: bad });
    expect(alertText(page.body)).toBe('Too many wrong attempts: try again in 1 second.');
    for (let i = 3; i < 10; i++) {
      porta.clock.advance(61_000);
      page = await browser.submit(page, /\/second_factor$/, { code: bad });
    }
    // The tenth locked the account: from now on even the right code is not weighed.
    page = await browser.submit(page, /\/second_factor$/, { code: nextCode(secret) });
    expect(alertText(page.body)).toMatch(/^Too many wrong attempts: your account is temporarily locked\. Try again after \S/);
    const mail = await smtp.last(account.email!);
    expect(mail.subject).toBe('Your account was locked after wrong passwords');
    expect((await porta.services.accounts.findById(account.id))!.lockedUntil).toBeGreaterThan(porta.clock.now());
  });
});

describe('failed passkey assertions count toward the lockout like wrong codes', () => {
  test('after three forged assertions the next waits; a cancelled dialog (nothing posted) is not counted', async () => {
    const { account } = await withApp();
    // A passkey on record (its key never signs here): the step offers it.
    await porta.services.db('second_factors').insert({
      id: `pk${n}`, account_id: account.id, kind: 'webauthn', name: 'Blue key', created_at: porta.clock.now(),
      credential_id: `cred-${n}`, public_key: 'AAAA', sign_counter: 0, transports: 'usb',
    });
    const browser = new Browser(porta.issuer);
    let page = (await signIn(browser, tuition, account.username!)).done;
    expect(page.body).toContain('data-passkey="authenticate"');
    for (let i = 0; i < 5; i++) page = await browser.submit(page, /\/second_factor\/passkey$/, { response: '' });
    expect(alertText(page.body)).toBe('The passkey or security key was not accepted. Try again, or use a code.');
    const forged = JSON.stringify({ id: `cred-${n}`, rawId: `cred-${n}`, type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: '', signature: '' } });
    for (let i = 0; i < 3; i++) page = await browser.submit(page, /\/second_factor\/passkey$/, { response: forged });
    expect(alertText(page.body)).toBe('The passkey or security key was not accepted. Try again, or use a code.');
    page = await browser.submit(page, /\/second_factor\/passkey$/, { response: forged });
    expect(alertText(page.body)).toBe('Too many wrong attempts: try again in 1 second.');
  });
});

/** The key shown for typing by hand, from the set-up page. */
const shownSecret = (page: Page) => /<p class="secret" lang="en"><code>([A-Z2-7 ]+)<\/code><\/p>/.exec(page.body)![1]!.replace(/ /g, '');

describe('setting up the first authenticator app during sign-in', () => {
  test('right after the password: a mailed code, the app, ten recovery codes shown once, then on to the service with mfa', async () => {
    const account = await createAccount();
    const browser = new Browser(porta.issuer);
    const { pending, done: start } = await signIn(browser, tuition, account.username!);
    expect(start.url).toMatch(/\/second_factor$/);
    expect(h1(start)).toBe('Set up two-factor authentication');
    expect(start.body).toContain('Tuition fees asks for two-factor authentication');
    expect(start.body).toContain(`We will send the code to ${account.email![0]}•••@example.org.`);

    const sent = await browser.submit(start, /\/second_factor\/send$/);
    expect(sent.body).toContain(`We sent a 6-digit code to ${account.email![0]}•••@example.org.`);
    const mail = await smtp.last(account.email!);
    expect(mail.subject).toBe('Your code to set up two-factor authentication');
    const mailed = /Code: (\d{6})/.exec(mail.text)![1]!;

    const wrong = await browser.submit(sent, /\/second_factor\/email$/, { code: mailed === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(422);
    expect(alertText(wrong.body)).toBe('This is not the code we sent, or it has expired. Check the latest email, or send a new code.');

    const app = await browser.submit(wrong, /\/second_factor\/email$/, { code: mailed });
    expect(h1(app)).toBe('Add your authenticator app');
    expect(app.body).toMatch(/<svg role="img" aria-label="QR code for your authenticator app" [^>]*>/);
    expect(app.body).not.toContain('<script');
    const secret = shownSecret(app);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(app.body).toMatch(/<code>([A-Z2-7]{4} ){7}[A-Z2-7]{4}<\/code>/);

    const badCode = await browser.submit(app, /\/second_factor\/app$/, { name: 'Work phone', code: totp(secret, porta.clock.now() - 5 * 60_000) });
    expect(alertText(badCode.body)).toBe('This code is not correct. Check that the app shows a code for Porta and enter the current one.');
    expect(badCode.body).toContain('value="Work phone"');
    expect(shownSecret(badCode)).toBe(secret);

    const codes = await browser.submit(badCode, /\/second_factor\/app$/, { name: 'Work phone', code: totp(secret, porta.clock.now()) });
    expect(h1(codes)).toBe('Your recovery codes');
    const recovery = [...codes.body.matchAll(/<li><code>([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})<\/code><\/li>/g)].map((m) => m[1]);
    expect(recovery).toHaveLength(10);
    expect(codes.body).toContain('they are shown only this once');

    // Seen again (a reload): the codes are not shown a second time.
    const reload = await browser.go(codes.url.replace(/\/app$/, ''));
    expect(h1(reload)).toBe('Your recovery codes');
    expect(reload.body).not.toContain(recovery[0]!);

    const back = await browser.submit(reload, /\/second_factor\/done$/);
    expect(back.location).toMatch(/^http:\/\/rp\.test\/tuition\/cb\?code=/);
    expect((await tuition.callback(back.location!, pending)).claims()).toMatchObject({ acr: MFA, amr: ['pwd', 'otp', 'mfa'] });

    const methods = await porta.services.secondFactors.list(account.id);
    expect(methods).toMatchObject([{ kind: 'totp', name: 'Work phone' }]);
    const added = await smtp.last(account.email!, 2);
    expect(added.subject).toBe('A sign-in method was added to your university account');
    expect(added.text).toContain('The authenticator app "Work phone" was added to your account as a second factor.');
    const events = (await porta.services.audit.list({ accountId: account.id })).map((e) => e.action);
    expect(events).toEqual(expect.arrayContaining(['mfa.enrolment_mailed', 'mfa.added']));
    // The code of the set-up itself cannot be used again.
    const other = new Browser(porta.issuer);
    const next = await signIn(other, tuition, account.username!);
    expect(alertText((await other.submit(next.done, /\/second_factor$/, { code: totp(secret, porta.clock.now()) })).body)).toBe('This code is not correct, or it was already used. Enter the current code from your app.');
  });

  test('on an SSO session alone the password is asked again before any set-up', async () => {
    const account = await createAccount();
    const browser = new Browser(porta.issuer);
    await signIn(browser, admissions, account.username!);
    const step = await browser.go((await tuition.authorize()).url);
    expect(h1(step)).toBe('Confirm your password');
    expect(step.body).toContain('To set up two-factor authentication for Tuition fees, first enter your password again.');
    expect(step.body).not.toContain('/second_factor/send');

    // Straight to the set-up steps: refused, back to the password.
    const forced = await browser.go(step.url.replace(/$/, '/send'), { form: { _csrf: findCsrf(step) } });
    expect(h1(forced)).toBe('Confirm your password');
    expect(smtp.to(account.email!)).toHaveLength(0);

    const wrong = await browser.submit(step, /\/second_factor\/password$/, { password: 'Not-the-password-1' });
    expect(wrong.status).toBe(422);
    expect(alertText(wrong.body)).toBe('This password is not correct.');
    const enrol = await browser.submit(wrong, /\/second_factor\/password$/, { password: TEST_PASSWORD });
    expect(h1(enrol)).toBe('Set up two-factor authentication');
    expect(enrol.body).toContain('/second_factor/send');
  });

  test('an account without a confirmed address cannot set it up here and is told whom to ask', async () => {
    const account = await createAccount({ emailVerified: false });
    const browser = new Browser(porta.issuer);
    const { done } = await signIn(browser, tuition, account.username!);
    expect(done.status).toBe(409);
    expect(alertText(done.body)).toBe('Two-factor authentication is set up with a code sent to your email address, and your account has no confirmed address. Contact the helpdesk.');
    const cancel = await browser.submit(done, /\/abort$/);
    expect(callback(cancel).get('error')).toBe('access_denied');
  });

  test('in Italian', async () => {
    const account = await createAccount();
    const browser = new Browser(porta.issuer, { 'accept-language': 'it' });
    const login = await browser.go((await tuition.authorize()).url);
    const start = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(h1(start)).toBe('Configura l&#39;autenticazione a due fattori');
    const sent = await browser.submit(start, /\/second_factor\/send$/);
    const mail = await smtp.last(account.email!);
    expect(mail.subject).toBe('Il tuo codice per configurare l\'autenticazione a due fattori');
    const app = await browser.submit(sent, /\/second_factor\/email$/, { code: /Codice: (\d{6})/.exec(mail.text)![1]! });
    expect(h1(app)).toBe('Aggiungi la tua app di autenticazione');
    expect(app.body).toContain('<label for="f-name">Un nome per questa app</label>');
  });
});

const findCsrf = (page: Page) => /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
