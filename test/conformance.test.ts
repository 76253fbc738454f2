/**
 * What an OpenID Connect conformance run checks and Porta used to get wrong: redirect_uri is required,
 * the authorization and logout endpoints take POST, ui_locales is honoured, a client authenticates only
 * with its registered method, and discovery offers only the response types in use.
 */
import * as oidc from 'openid-client';
import { Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { relyingParty, type Rp } from './helpers/rp.js';

let porta: TestPorta;
let admissions: Rp;

beforeAll(async () => {
  porta = await startPorta();
  admissions = await relyingParty(porta.issuer, 'admissions', 'test-admissions-secret-0123456789abcdef', 'http://rp.test/admissions/cb');
});
afterAll(() => porta.stop());

/** The authorization request's parameters, as a form body. */
async function authorizationParams(rp: Rp, extra: Record<string, string> = {}) {
  const pending = await rp.authorize(extra);
  return { pending, params: Object.fromEntries(new URL(pending.url).searchParams) };
}

async function signIn(browser: Browser, rp: Rp) {
  const account = await porta.createAccount();
  const pending = await rp.authorize();
  const login = await browser.go(pending.url);
  const back = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
  expect(back.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
  return { account, tokens: await rp.callback(back.location!, pending) };
}

test('an authorization request without redirect_uri gets the error page, even for a client with one registered URI', async () => {
  const url = new URL(`${porta.issuer}/auth`);
  const { params } = await authorizationParams(admissions);
  delete params.redirect_uri;
  url.search = new URLSearchParams(params).toString();
  const page = await new Browser(porta.issuer).go(url.href);
  expect(page.status).toBe(400);
  expect(page.location).toBeUndefined();
  expect(page.body).toContain('The service that sent you here made an invalid request (invalid_request). Please go back and try again.');
});

describe('POST to the authorization endpoint', () => {
  test('without a session it shows the sign-in page, and signing in returns a code to the service', async () => {
    const browser = new Browser(porta.issuer);
    const { pending, params } = await authorizationParams(admissions);
    const posted = await browser.request('/auth', { form: params });
    expect(posted.status).toBe(303);
    const login = await browser.go(posted.location!);
    expect(login.status).toBe(200);
    expect(login.body).toContain('<h1>Sign in</h1>');
    const account = await porta.createAccount();
    const back = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    const tokens = await admissions.callback(back.location!, pending);
    expect(tokens.claims()!.sub).toBe(account.id);
  });

  test('with a session it signs in at once (single sign-on): the GET it turns into carries the SameSite=Lax cookie', async () => {
    const browser = new Browser(porta.issuer);
    const { account } = await signIn(browser, admissions);
    const { pending, params } = await authorizationParams(admissions);
    const posted = await browser.request('/auth', { form: params });
    expect(posted.status).toBe(303);
    expect(new URL(posted.location!).pathname).toBe('/auth');
    const back = await browser.go(posted.location!);
    expect(back.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
    expect((await admissions.callback(back.location!, pending)).claims()!.sub).toBe(account.id);
  });

  test('a body that is not a form, or too long, gets an error page', async () => {
    const browser = new Browser(porta.issuer);
    const json = await browser.request('/auth', { body: '{}', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(400);
    expect(json.body).toContain('The request was not valid.');
    const long = await browser.request('/auth', { form: { client_id: 'admissions', state: 'x'.repeat(20_000) } });
    expect(long.status).toBe(413);
  });
});

test('POST to the end-session endpoint asks the person to confirm signing out, then returns to the service', async () => {
  const browser = new Browser(porta.issuer);
  const { tokens } = await signIn(browser, admissions);
  const posted = await browser.request('/session/end', { form: { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://rp.test/admissions/', state: 'bye' } });
  expect(posted.status).toBe(303);
  const confirm = await browser.go(posted.location!);
  expect(confirm.status).toBe(200);
  expect(confirm.body).toContain('Admissions');
  const done = await browser.submit(confirm, /\/session\/end\/confirm$/, { logout: 'yes' });
  expect(done.location).toBe('http://rp.test/admissions/?state=bye');
});

describe('ui_locales', () => {
  test('ui_locales=it shows the Italian sign-in page over the remembered language and Accept-Language', async () => {
    const browser = new Browser(porta.issuer, { 'accept-language': 'en' });
    await browser.request('/register?lang=en');
    expect(browser.cookieNames()).toContain('porta.lang');
    const page = await browser.go((await admissions.authorize({ ui_locales: 'fr-CA it en' })).url);
    expect(page.body).toContain('<html lang="it"');
    expect(page.body).toContain('<h1>Accedi</h1>');
    // Only for that sign-in: the remembered choice stays.
    expect((await browser.go((await admissions.authorize()).url)).body).toContain('<h1>Sign in</h1>');
  });

  test('discovery lists the languages', () => {
    expect(admissions.config.serverMetadata().ui_locales_supported).toEqual(['en', 'it']);
  });
});

describe('client authentication', () => {
  /** A token request with a made-up code: invalid_grant means the client authenticated, invalid_client that it did not. */
  async function tokenError(clientId: string, secret: string, method: 'basic' | 'post') {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: 'made-up', redirect_uri: 'http://rp.test/x', code_verifier: 'v'.repeat(43) });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (method === 'basic') headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    else {
      body.set('client_id', clientId);
      body.set('client_secret', secret);
    }
    const res = await fetch(`${porta.issuer}/token`, { method: 'POST', headers, body });
    return { status: res.status, error: ((await res.json()) as { error: string }).error };
  }

  test('a client_secret_basic client is refused when it sends its secret in the body', async () => {
    expect(await tokenError('admissions', 'test-admissions-secret-0123456789abcdef', 'basic')).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await tokenError('admissions', 'test-admissions-secret-0123456789abcdef', 'post')).toEqual({ status: 401, error: 'invalid_client' });
  });

  test('discovery lists the four methods Porta supports', () => {
    expect(admissions.config.serverMetadata().token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
  });
});

test('discovery offers only the code flow (and none, for the personal area), unless RESPONSE_TYPES says otherwise', async () => {
  expect(admissions.config.serverMetadata().response_types_supported).toEqual(['code', 'none']);
  const implicitToo = await startPorta({ responseTypes: 'code,code id_token' });
  try {
    const metadata = (await oidc.discovery(new URL(implicitToo.issuer), 'admissions', 'x', undefined, { execute: [oidc.allowInsecureRequests] })).serverMetadata();
    expect(metadata.response_types_supported).toEqual(['code', 'code id_token', 'none']);
  } finally {
    await implicitToo.stop();
  }
});
