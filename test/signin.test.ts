/** Signing in to a relying service: the whole authorization code flow as a browser and an RP see it. */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { alertText, Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, signInThrough, type Rp } from './helpers/rp.js';

let porta: TestPorta;
let admissions: Rp;
let grants: Rp;
let partner: Rp;

beforeAll(async () => {
  porta = await startPorta();
  admissions = await fixtureRp(porta.issuer, 'admissions');
  grants = await fixtureRp(porta.issuer, 'grants');
  partner = await fixtureRp(porta.issuer, 'partner-tool');
});
afterAll(() => porta.stop());

/** Authorize → login page → credentials → back at the RP with a code. */
async function signIn(browser: Browser, rp: Rp, login: string, password = TEST_PASSWORD, params: Record<string, string> = {}) {
  const { pending, signInPage, done } = await signInThrough(rp, browser, login, password, params);
  expect(signInPage.status).toBe(200);
  return { pending, done };
}

describe('signing in to a relying service', () => {
  test('authorization code + PKCE: login page, code, tokens signed by /jwks, userinfo per scope, refresh', async () => {
    const account = await porta.createAccount();
    const browser = new Browser(porta.issuer);
    const pending = await admissions.authorize({ scope: 'openid profile email phone' });

    const loginPage = await browser.go(pending.url);
    expect(loginPage.body).toContain('<label for="login">Username or person code</label>');
    expect(loginPage.body).toContain('<label for="password">Password</label>');
    expect(loginPage.body).toContain('to continue to Admissions');

    const back = await browser.submit(loginPage, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(back.status).toBe(303);
    expect(back.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);

    const tokens = await admissions.callback(back.location!, pending);
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${porta.issuer}/jwks`)), { issuer: porta.issuer, audience: 'admissions' });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.sub).toBe(account.id);
    expect(payload.person_code).toBe(account.personCode);

    const claims = await oidc.fetchUserInfo(admissions.config, tokens.access_token, account.id);
    expect(claims).toMatchObject({
      sub: account.id, person_code: account.personCode, user_type: 'internal',
      given_name: 'Maria', family_name: account.familyName, preferred_username: account.username, birthdate: '2001-05-17',
      email: account.email, email_verified: true, phone_number: '+393331234567',
    });

    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(admissions.config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    // Refresh tokens rotate: the old one no longer works.
    await expect(oidc.refreshTokenGrant(admissions.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('scope openid alone releases only the subject, person code and user type', async () => {
    const account = await porta.createAccount({ userType: 'external' });
    const { pending, done } = await signIn(new Browser(porta.issuer), admissions, account.username!);
    const tokens = await admissions.callback(done.location!, pending);
    const claims = await oidc.fetchUserInfo(admissions.config, tokens.access_token, account.id);
    expect(claims).toEqual({ sub: account.id, person_code: account.personCode, user_type: 'external' });
  });

  test('the person code and any case of the username work as login names', async () => {
    const account = await porta.createAccount({ username: 'Giulia.Bianchi' });
    for (const login of [account.personCode, 'giulia.bianchi', 'GIULIA.BIANCHI']) {
      const { done } = await signIn(new Browser(porta.issuer), admissions, login);
      expect(done.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
    }
  });

  test('SSO: a second service signs in without a password; prompt=login and max_age=0 ask again', async () => {
    const account = await porta.createAccount();
    const browser = new Browser(porta.issuer);
    await signIn(browser, admissions, account.username!);

    const pending = await grants.authorize();
    const sso = await browser.go(pending.url);
    expect(sso.location).toMatch(/^http:\/\/rp\.test\/grants\/cb\?code=/);
    const tokens = await grants.callback(sso.location!, pending);
    expect(tokens.claims()!.sub).toBe(account.id);

    for (const params of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const again = await browser.go((await grants.authorize(params)).url);
      expect(again.status).toBe(200);
      expect(again.body).toContain('<h1>Sign in</h1>');
    }
  });

  test('a third-party service asks for consent; first-party services do not', async () => {
    const account = await porta.createAccount();
    const browser = new Browser(porta.issuer);
    const { pending, done } = await signIn(browser, partner, account.username!, TEST_PASSWORD, { scope: 'openid email' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Partner institutions tool asks to:');
    expect(done.body).toContain('see your email address');
    const back = await browser.submit(done, /\/confirm$/);
    expect(back.location).toMatch(/^http:\/\/rp\.test\/partner\/cb\?code=/);
    const tokens = await partner.callback(back.location!, pending);
    expect(tokens.claims()!.sub).toBe(account.id);

    // Consent is remembered for the same scopes.
    const next = await partner.authorize({ scope: 'openid email' });
    expect((await browser.go(next.url)).location).toMatch(/^http:\/\/rp\.test\/partner\/cb\?code=/);
  });

  test('denying consent sends access_denied to the service', async () => {
    const account = await porta.createAccount();
    const browser = new Browser(porta.issuer);
    const { done } = await signIn(browser, partner, account.username!);
    const back = await browser.submit(done, /\/abort$/);
    const params = new URL(back.location!).searchParams;
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('code')).toBeNull();
  });

  test('RP-initiated logout asks for confirmation, ends the session and returns to the service', async () => {
    const account = await porta.createAccount();
    const browser = new Browser(porta.issuer);
    const { pending, done } = await signIn(browser, admissions, account.username!);
    const tokens = await admissions.callback(done.location!, pending);

    const endUrl = oidc.buildEndSessionUrl(admissions.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://rp.test/admissions/', state: 'bye' });
    const confirm = await browser.go(endUrl.href);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Do you want to sign out of Porta');
    const form = /<form[^>]*id="op.logoutForm"[^>]*>/.exec(confirm.body)![0];
    const action = /action="([^"]+)"/.exec(form)![1]!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const back = await browser.go(action, { form: { xsrf, logout: 'yes' } });
    expect(back.location).toBe('http://rp.test/admissions/?state=bye');

    const again = await browser.go((await admissions.authorize()).url);
    expect(again.body).toContain('<h1>Sign in</h1>');
    // The tokens of the ended session no longer work.
    await expect(oidc.refreshTokenGrant(admissions.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('wrong credentials', () => {
  test('unknown user, wrong password and wrong-case password get the same answer and no session', async () => {
    const account = await porta.createAccount({ password: 'Case-Sensitive-Password-1' });
    const answers: string[] = [];
    for (const [login, password] of [['nobody-here', 'Case-Sensitive-Password-1'], [account.username!, 'wrong-password-123'], [account.username!, 'case-sensitive-password-1']] as const) {
      const browser = new Browser(porta.issuer);
      const { done } = await signIn(browser, admissions, login, password);
      expect(done.status).toBe(200);
      expect(alertText(done.body)).toBe('Invalid username or password');
      expect(browser.cookieNames()).not.toContain('_session');
      answers.push(done.body.replace(/name="_csrf" value="[^"]+"/g, '').replace(/interaction[/=][\w-]+/g, '').replace(/value="[^"]*"/g, ''));
    }
    expect(new Set(answers).size).toBe(1);
  });

  test('a form without its CSRF token is refused and signs nobody in', async () => {
    const account = await porta.createAccount();
    const browser = new Browser(porta.issuer);
    const pending = await admissions.authorize();
    const page = await browser.go(pending.url);
    const uid = /\/interaction\/([\w-]+)\/login/.exec(page.body)![1];
    const res = await browser.request(`/interaction/${uid}/login`, { form: { login: account.username!, password: TEST_PASSWORD, _csrf: 'forged' } });
    expect(res.status).toBe(403);
    expect(res.body).toContain('This form has expired. Please try again.');
    expect(browser.cookieNames()).not.toContain('_session');
  });
});

describe('language', () => {
  test('pages follow Accept-Language and the switch on the page', async () => {
    const browser = new Browser(porta.issuer, { 'accept-language': 'it-IT,it;q=0.9,en;q=0.5' });
    const page = await browser.go((await admissions.authorize()).url);
    expect(page.body).toContain('<html lang="it">');
    expect(page.body).toContain('<label for="login">Nome utente o codice persona</label>');
    const switchLink = /href="([^"]*lang=en)"/.exec(page.body)![1]!.replace(/&amp;/g, '&');
    const english = await browser.go(switchLink);
    expect(english.body).toContain('<label for="login">Username or person code</label>');
    // The choice sticks for later pages.
    const next = await browser.go((await admissions.authorize()).url);
    expect(next.body).toContain('<html lang="en">');
  });

  test('an invalid request shows a localized error page, not a stack trace', async () => {
    const page = await new Browser(porta.issuer, { 'accept-language': 'it' }).go('/auth?client_id=admissions&response_type=code&redirect_uri=http://evil.test/cb&scope=openid');
    expect(page.status).toBe(400);
    expect(page.body).toContain('Si è verificato un problema');
    expect(page.body).not.toMatch(/at \w+ \(/);
  });
});
