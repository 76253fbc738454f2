/**
 * First-login access codes (partner-portal has require_access_code): the helpdesk issues a code with the
 * CLI, the person receives it by mail and enters it at the first sign-in; later sign-ins need only
 * credentials. Wrong, expired, reused and withdrawn codes are refused with their own message; wrong
 * entries are bounded.
 */
import { alertText, Browser, type Page } from './helpers/browser.js';
import { DAY } from './helpers/clock.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, type Rp } from './helpers/rp.js';
import { SmtpCatcher } from './helpers/smtp.js';
import { run } from '../src/cli/run.js';
import { fromRoot } from '../src/paths.js';
import type { Account } from '../src/accounts/account.js';

let smtp: SmtpCatcher;
let porta: TestPorta;
let portal: Rp;
let admissions: Rp;

const CONTACT = 'partners@university.example';

async function boot() {
  porta = await startPorta({ smtpUrl: smtp.url, accessCodeContact: CONTACT, accessCodeMaxAttempts: 3 });
  portal = await fixtureRp(porta.issuer, 'partner-portal');
  admissions = await fixtureRp(porta.issuer, 'admissions');
}

beforeAll(async () => {
  smtp = await new SmtpCatcher().start();
  await boot();
});
afterAll(async () => {
  await porta.stop();
  await smtp.stop();
});

/** `porta …` against the running server's database, with its clock. */
async function porta_(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const env = { DATABASE_URL: porta.databaseUrl, CLIENTS_FILE: fromRoot('test/fixtures/clients.json'), NODE_ENV: 'test', LOG_LEVEL: 'silent', SMTP_URL: smtp.url };
  const code = await run(argv, { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, clock: porta.clock });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Issues a code with the CLI and returns it as the mail shows it. */
async function issue(account: Account): Promise<string> {
  const before = smtp.to(account.email!).length;
  const r = await porta_('access-codes', 'issue', '--user', account.username!, '--client', 'partner-portal');
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(new RegExp(`^emailed an access code for partner-portal to ${account.email!.replace('.', '\\.')} \\(${account.username}\\); valid until \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\n$`));
  const mail = await smtp.last(account.email!, before + 1);
  return /(?:Access code|Codice di accesso): ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(mail.text)![1]!;
}

async function toCodePage(browser: Browser, account: Account, params: Record<string, string> = {}) {
  const pending = await portal.authorize({ scope: 'openid', ...params });
  const login = await browser.go(pending.url);
  const page = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
  return { pending, page };
}

const enter = (browser: Browser, page: Page, code: string) => browser.submit(page, /\/access_code$/, { code });

describe('first sign-in to a service that asks for an access code', () => {
  test('the emailed code lets the person in once; later sign-ins need only credentials, also after a restart', async () => {
    const account = await porta.createAccount({ userType: 'external' });
    const code = await issue(account);
    const mail = await smtp.last(account.email!);
    expect(mail.subject).toBe('Your access code for Partner portal');
    expect(mail.text).toContain('You will be asked for it the first time you sign in to Partner portal');
    expect(mail.text).toMatch(/The code works once and is valid until \d{1,2} \w+ \d{4}\./);

    const browser = new Browser(porta.issuer);
    const { pending, page } = await toCodePage(browser, account);
    expect(page.url).toMatch(/\/interaction\/[\w-]+\/access_code$/);
    expect(page.body).toContain('<h1>Enter your access code</h1>');
    expect(page.body).toContain('Partner portal asks for an access code the first time you sign in to it.');
    expect(page.body).toContain('Access codes are issued by the helpdesk: if they issued you one, it is in the email they sent you');
    expect(page.body).not.toContain('We sent the code');
    expect(page.body).toContain(`No code? Ask for one at ${CONTACT}.`);
    expect(page.body).toContain('<label for="f-code">Access code</label>');

    // Typed as people do: lower case, a space instead of the dash.
    const consent = await enter(browser, page, code.toLowerCase().replace('-', ' '));
    expect(consent.body).toContain('Partner portal asks to:');
    const back = await browser.submit(consent, /\/confirm$/);
    expect(back.location).toMatch(/^http:\/\/rp\.test\/partner-portal\/cb\?code=/);
    expect((await portal.callback(back.location!, pending)).claims()!.sub).toBe(account.id);

    // SSO in the same browser: straight back with a code.
    expect((await browser.go((await portal.authorize()).url)).location).toMatch(/^http:\/\/rp\.test\/partner-portal\/cb\?code=/);

    porta = await porta.restart();
    portal = await fixtureRp(porta.issuer, 'partner-portal');
    admissions = await fixtureRp(porta.issuer, 'admissions');
    const second = await toCodePage(new Browser(porta.issuer), account);
    expect(second.page.body).not.toContain('access code');
    expect(second.page.body).toContain('Partner portal asks to:');

    const events = (await porta.services.audit.list({ accountId: account.id })).map((e) => e.action);
    expect(events).toEqual(expect.arrayContaining(['access_code.issued', 'access_code.accepted']));
  });

  test('the code is asked for also when an SSO session from another service would skip the login page', async () => {
    const account = await porta.createAccount();
    const code = await issue(account);
    const browser = new Browser(porta.issuer);
    const first = await browser.go((await admissions.authorize()).url);
    const signedIn = await browser.submit(first, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(signedIn.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);

    const sso = await browser.go((await portal.authorize()).url);
    expect(sso.body).toContain('<h1>Enter your access code</h1>');
    expect(sso.body).not.toContain('id="password"');
    // prompt=none cannot show the page: the service is told interaction is required, and gets no code.
    const silent = await browser.go((await portal.authorize({ prompt: 'none' })).url);
    expect(new URL(silent.location!).searchParams.get('error')).toBe('interaction_required');
    expect(new URL(silent.location!).searchParams.get('code')).toBeNull();

    const consent = await enter(browser, sso, code);
    expect(consent.body).toContain('Partner portal asks to:');
  });

  test('a wrong code says how many attempts are left; after the last one the code no longer works, even when right', async () => {
    const account = await porta.createAccount();
    const code = await issue(account);
    const browser = new Browser(porta.issuer);
    let { page } = await toCodePage(browser, account);

    page = await enter(browser, page, 'AB');
    expect(page.status).toBe(422);
    expect(alertText(page.body)).toBe('An access code has 8 letters and digits, for example ABCD-2345.');
    page = await enter(browser, page, '');
    expect(alertText(page.body)).toBe('Enter the access code the helpdesk sent you.');

    const wrong = code.startsWith('2') ? '3333-3333' : '2222-2222';
    page = await enter(browser, page, wrong);
    expect(alertText(page.body)).toBe('This access code is not correct. Attempts left: 2.');
    expect(page.body).toContain('aria-invalid="true"');
    page = await enter(browser, page, wrong);
    expect(alertText(page.body)).toBe('This access code is not correct. Attempts left: 1.');
    page = await enter(browser, page, wrong);
    expect(alertText(page.body)).toBe(`Too many wrong attempts: this access code no longer works. Ask for a new one at ${CONTACT}.`);
    page = await enter(browser, page, code);
    expect(alertText(page.body)).toBe(`Too many wrong attempts: this access code no longer works. Ask for a new one at ${CONTACT}.`);

    // A new code from the helpdesk works.
    const fresh = await issue(account);
    const consent = await enter(browser, page, fresh);
    expect(consent.body).toContain('Partner portal asks to:');

    const listed = JSON.parse((await porta_('access-codes', 'list', '--user', account.username!, '--json')).stdout) as { state: string; attempts: number }[];
    expect(listed.map((c) => [c.state, c.attempts])).toEqual([['accepted', 0], ['locked', 3]]);
  });

  test('an expired code is refused as expired', async () => {
    const account = await porta.createAccount();
    const code = await issue(account);
    porta.clock.advance(14 * DAY + 60_000);
    const browser = new Browser(porta.issuer);
    const { page } = await toCodePage(browser, account);
    const refused = await enter(browser, page, code);
    expect(alertText(refused.body)).toBe(`This access code has expired. Ask for a new one at ${CONTACT}.`);
  });

  test('a used code cannot be used again once access was withdrawn; a withdrawn open code is refused as withdrawn', async () => {
    const account = await porta.createAccount();
    const code = await issue(account);
    const browser = new Browser(porta.issuer);
    const { page } = await toCodePage(browser, account);
    expect((await enter(browser, page, code)).body).toContain('Partner portal asks to:');

    const revoked = await porta_('access-codes', 'revoke', '--user', account.username!, '--client', 'partner-portal');
    expect(revoked).toEqual({ code: 0, stdout: `removed the access gained with an earlier code of ${account.username} for partner-portal; the next sign-in asks for a new code\n`, stderr: '' });

    const again = new Browser(porta.issuer);
    const asked = (await toCodePage(again, account)).page;
    expect(asked.body).toContain('<h1>Enter your access code</h1>');
    expect(alertText((await enter(again, asked, code)).body)).toBe(`This access code has already been used. Ask for a new one at ${CONTACT}.`);

    const open = await issue(account);
    expect((await porta_('access-codes', 'revoke', '--user', account.username!, '--client', 'partner-portal')).stdout).toMatch(/^withdrew the open access code of /);
    expect(alertText((await enter(again, asked, open)).body)).toBe(`This access code was withdrawn. Ask for a new one at ${CONTACT}.`);
  });

  test('a person without a code is told how to get one; the Italian page says it in Italian', async () => {
    const account = await porta.createAccount();
    const browser = new Browser(porta.issuer, { 'accept-language': 'it' });
    const { page } = await toCodePage(browser, account);
    expect(page.body).toContain('<h1>Inserisci il codice di accesso</h1>');
    expect(page.body).toContain(`Non hai un codice? Richiedilo a ${CONTACT}.`);
    const refused = await enter(browser, page, 'ABCD-2345');
    expect(alertText(refused.body)).toBe(`Non ti è ancora stato assegnato un codice di accesso per questo servizio. Richiedilo a ${CONTACT}.`);
  });

  test('the mail comes in the account’s language', async () => {
    const account = await porta.createAccount({ locale: 'it' });
    await issue(account);
    const mail = await smtp.last(account.email!);
    expect(mail.subject).toBe('Il tuo codice di accesso per Partner portal');
    expect(mail.text).toMatch(/Codice di accesso: [A-Z0-9]{4}-[A-Z0-9]{4}/);
  });

  test('only the hash of the code is stored', async () => {
    const account = await porta.createAccount();
    const code = (await issue(account)).replace('-', '');
    const rows = await porta.services.db('flows').where({ account_id: account.id, kind: 'access_code' }).select('token_hash', 'data');
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(code);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
