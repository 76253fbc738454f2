/** Who may enter which service: allowed user types per client, checked on every authorization (also SSO), and disabled or pending accounts at sign-in. */
import { alertText, Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, type Rp } from './helpers/rp.js';

let porta: TestPorta;
let library: Rp;
let admissions: Rp;

beforeAll(async () => {
  porta = await startPorta({ helpdeskContact: 'helpdesk@university.example' });
  library = await fixtureRp(porta.issuer, 'digital-library');
  admissions = await fixtureRp(porta.issuer, 'admissions');
});
afterAll(() => porta.stop());

async function signIn(browser: Browser, rp: Rp, login: string, password = TEST_PASSWORD, params: Record<string, string> = {}) {
  const pending = await rp.authorize(params);
  const loginPage = await browser.go(pending.url);
  expect(loginPage.body).toMatch(/<h1>(Sign in|Accedi)<\/h1>/);
  return { pending, done: await browser.submit(loginPage, /\/login$/, { login, password }) };
}

/** What the relying service receives at its redirect URI. */
const callback = (location: string | undefined) => new URL(location!).searchParams;

describe('a service open to internal users only (digital-library)', () => {
  test('an external person is told the service is not for external users, and the service gets access_denied and no code', async () => {
    const account = await porta.createAccount({ userType: 'external' });
    const browser = new Browser(porta.issuer);
    const { done } = await signIn(browser, library, account.username!);
    expect(done.status).toBe(200);
    expect(done.url).toMatch(/\/interaction\/[\w-]+\/not_allowed$/);
    expect(alertText(done.body)).toBe('This service is not available to external users.');
    expect(done.body).toContain(`You are signed in as Maria ${account.familyName}.`);
    expect(done.body).toContain('If you think you should have access, contact helpdesk@university.example.');

    const back = await browser.submit(done, /\/not_allowed$/);
    expect(back.location).toMatch(/^http:\/\/rp\.test\/library\/cb\?/);
    const params = callback(back.location);
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('code')).toBeNull();
    expect(params.get('error_description')).toBe('this service is not available to external users');

    const events = await porta.services.audit.list({ accountId: account.id });
    expect(events.map((e) => e.action)).toContain('access.denied');
  });

  test('the rule holds when an SSO session from another service would skip the login page', async () => {
    const account = await porta.createAccount({ userType: 'external' });
    const browser = new Browser(porta.issuer);
    const { done } = await signIn(browser, admissions, account.username!);
    expect(done.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);

    const sso = await browser.go((await library.authorize()).url);
    expect(sso.status).toBe(200);
    expect(sso.body).not.toContain('<h1>Sign in</h1>');
    expect(alertText(sso.body)).toBe('This service is not available to external users.');
    const back = await browser.submit(sso, /\/not_allowed$/);
    expect(callback(back.location).get('error')).toBe('access_denied');
    expect(callback(back.location).get('code')).toBeNull();

    // prompt=none: no page at all, the service is answered access_denied at once.
    const silent = await browser.go((await library.authorize({ prompt: 'none' })).url);
    expect(silent.location).toMatch(/^http:\/\/rp\.test\/library\/cb\?/);
    expect(callback(silent.location).get('error')).toBe('access_denied');
    expect(callback(silent.location).get('code')).toBeNull();

    // Still signed in to Porta: the open service goes on working without a password.
    expect((await browser.go((await admissions.authorize()).url)).location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
  });

  test('an internal person gets a code and tokens, on the first sign-in and over SSO', async () => {
    const account = await porta.createAccount({ userType: 'internal' });
    const browser = new Browser(porta.issuer);
    const { pending, done } = await signIn(browser, library, account.username!);
    expect(done.location).toMatch(/^http:\/\/rp\.test\/library\/cb\?code=/);
    const tokens = await library.callback(done.location!, pending);
    expect(tokens.claims()).toMatchObject({ sub: account.id, user_type: 'internal' });

    const again = await library.authorize();
    const sso = await browser.go(again.url);
    expect(sso.location).toMatch(/^http:\/\/rp\.test\/library\/cb\?code=/);
    expect((await library.callback(sso.location!, again)).claims()!.sub).toBe(account.id);
  });

  test('the page speaks the person’s language, with wording per user type', async () => {
    const account = await porta.createAccount({ userType: 'federated' });
    const browser = new Browser(porta.issuer, { 'accept-language': 'it-IT,it;q=0.9' });
    const { done } = await signIn(browser, library, account.username!);
    expect(alertText(done.body)).toBe('Questo servizio non è disponibile per gli utenti di altri atenei.');
    expect(done.body).toContain('<button type="submit" class="primary">Torna al servizio</button>');
    const back = await browser.submit(done, /\/not_allowed$/);
    expect(callback(back.location).get('error')).toBe('access_denied');
  });

  test('other services are not affected: an external person signs in to admissions', async () => {
    const account = await porta.createAccount({ userType: 'external' });
    const { done } = await signIn(new Browser(porta.issuer), admissions, account.username!);
    expect(done.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
  });
});

describe('accounts that cannot sign in', () => {
  test('a disabled account is told so, and how to reach the helpdesk, only after the right password', async () => {
    const account = await porta.createAccount({ status: 'disabled' });
    const right = await signIn(new Browser(porta.issuer), admissions, account.username!);
    expect(right.done.status).toBe(200);
    expect(alertText(right.done.body)).toBe('This account is disabled. To find out why, or to have it enabled again, contact helpdesk@university.example.');
    expect(right.done.location).toBeUndefined();

    const wrong = await signIn(new Browser(porta.issuer), admissions, account.username!, 'Wrong-Password-123');
    expect(alertText(wrong.done.body)).toBe('Invalid username or password');
    const unknown = await signIn(new Browser(porta.issuer), admissions, 'nobody-here', TEST_PASSWORD);
    expect(alertText(unknown.done.body)).toBe('Invalid username or password');

    const failed = (await porta.services.audit.list({ accountId: account.id })).filter((e) => e.action === 'login.failed');
    expect(failed.map((e) => e.details?.reason)).toEqual(['invalid', 'disabled']);
  });

  test('a registration not yet activated is told to activate it, with where to get a new link', async () => {
    const account = await porta.createAccount({ status: 'pending', userType: 'external' });
    const { done } = await signIn(new Browser(porta.issuer), admissions, account.username!);
    expect(alertText(done.body)).toMatch(/^This account is not activated yet: open the link in the activation email we sent you\. <a href="[^"]+">No email\? Ask for a new one$/);
    // A real link (tappable on a phone), built from the issuer.
    const link = new URL(/role="alert"[^>]*>[^<]*<a href="([^"]+)">/.exec(done.body)![1]!.replace(/&amp;/g, '&'));
    expect(link.origin).toBe(porta.issuer);
    expect(link.pathname).toBe('/register/help');
    const help = await new Browser(porta.issuer).go(link.href);
    expect(help.status).toBe(200);
  });

  test('in Italian too', async () => {
    const account = await porta.createAccount({ status: 'disabled' });
    const browser = new Browser(porta.issuer, { 'accept-language': 'it' });
    const { done } = await signIn(browser, admissions, account.username!);
    expect(alertText(done.body)).toBe('Questo account è disattivato. Per saperne il motivo o per riattivarlo, contatta helpdesk@university.example.');
  });
});
