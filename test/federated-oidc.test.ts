/**
 * Signing in with an institution that speaks OpenID Connect: openid-client as the relying service, Porta as
 * the OpenID provider and as the institution's relying party, a real oidc-provider instance as the
 * institution (test/helpers/oidc-upstream.ts) on its own port. Each side has its own browser cookie jar, as
 * two sites do.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { alertText, Browser, type Page } from './helpers/browser.js';
import { TestOidcUpstream, type UpstreamPerson } from './helpers/oidc-upstream.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, relyingParty, type Rp } from './helpers/rp.js';

const MFA = 'https://refeds.org/profile/mfa';
let porta: TestPorta;
let upstream: TestOidcUpstream;
let keyed: TestOidcUpstream;
let unreachable: string;
let partner: Rp;
let library: Rp;
let tuition: Rp;
let counter = 0;

function person(): UpstreamPerson {
  const n = ++counter;
  return upstream.person(`up-${n}-${Math.random().toString(16).slice(2)}`, {
    given_name: 'Marta', family_name: `Rossi${n}`, email: `m.rossi${n}@upstream.example`, email_verified: true,
    schac_home_organization: 'upstream.example', affiliation: ['staff@upstream.example'],
  });
}

/** A port nobody listens on: an institution that cannot be reached. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  upstream = await new TestOidcUpstream().listen();
  keyed = await new TestOidcUpstream({ privateKeyJwt: true }).listen();
  unreachable = `http://127.0.0.1:${await closedPort()}`;
  const dir = mkdtempSync(join(tmpdir(), 'porta-federation-oidc-'));
  writeFileSync(join(dir, 'porta-key.json'), JSON.stringify(keyed.clientJwk));
  writeFileSync(join(dir, 'federation.json'), JSON.stringify({
    oidc: [
      { issuer: upstream.issuer, clientId: upstream.clientId, clientSecret: upstream.clientSecret, displayNames: { en: 'Upstream University', it: 'Università Upstream' }, claims: { affiliation: 'eduperson_scoped_affiliation' } },
      { issuer: keyed.issuer, clientId: keyed.clientId, privateKeyJwk: 'porta-key.json', displayNames: { en: 'Keyed University' }, trustEmailVerified: true },
      { issuer: unreachable, clientId: 'porta', clientSecret: 'never-used-secret', displayNames: { en: 'Faraway University' } },
    ],
  }));
  porta = await startPorta({ federationFile: join(dir, 'federation.json') });
  upstream.start(`${porta.issuer}/federation/oidc/callback`);
  keyed.start(`${porta.issuer}/federation/oidc/callback`);
  partner = await fixtureRp(porta.issuer, 'partner-tool');
  library = await fixtureRp(porta.issuer, 'digital-library');
  tuition = await fixtureRp(porta.issuer, 'tuition');
});
afterAll(async () => { await porta.stop(); await upstream.stop(); await keyed.stop(); });

/** Authorize at `rp` → the institution (which signs in `who`, or cancels) → back on Porta: where the browser ends. */
async function upstreamSignIn(rp: Rp, who: UpstreamPerson | undefined, o: { browser?: Browser; params?: Record<string, string>; acr?: string; error?: string } = {}) {
  const browser = o.browser ?? new Browser(porta.issuer);
  const pending = await rp.authorize({ scope: 'openid profile email eduperson', ...o.params });
  const loginPage = await browser.go(pending.url);
  const toUpstream = o.params?.idp_hint ? loginPage : await browser.submit(loginPage, /\/saml$/, { idp: upstream.issuer });
  expect(toUpstream.status).toBe(303);
  expect(toUpstream.location!.startsWith(`${upstream.issuer}/auth?`)).toBe(true);
  upstream.next = { person: who, acr: o.acr, error: o.error };
  const atInstitution = await new Browser(upstream.issuer).go(toUpstream.location!);
  const callbackUrl = atInstitution.location!;
  expect(callbackUrl.startsWith(`${porta.issuer}/federation/oidc/callback?`)).toBe(true);
  const done = await browser.go(callbackUrl);
  return { browser, pending, loginPage, authorization: new URL(toUpstream.location!), callbackUrl, done };
}

async function throughConsent(browser: Browser, page: Page): Promise<Page> {
  if (page.location?.startsWith('http://rp.test/')) return page;
  expect(page.body).toContain('Partner institutions tool asks to:');
  return browser.submit(page, /\/confirm$/);
}

describe('signing in with an OpenID Connect institution', () => {
  test('the first sign-in makes a federated account with the mapped claims (code + PKCE + state + nonce); the second finds the same sub', async () => {
    const marta = person();
    const first = await upstreamSignIn(partner, marta);
    expect(first.loginPage.body).toContain(`<button type="submit" name="idp" value="${upstream.issuer}">Upstream University</button>`);
    const q = first.authorization.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({ client_id: 'porta', response_type: 'code', scope: 'openid email profile', code_challenge_method: 'S256', redirect_uri: `${porta.issuer}/federation/oidc/callback` });
    expect(q.get('state')).toMatch(/^_[0-9a-f]{40}$/);
    expect(q.get('nonce')).toBeTruthy();
    expect(q.get('code_challenge')).toBeTruthy();
    expect(q.has('acr_values')).toBe(false);
    const back = await throughConsent(first.browser, first.done);
    expect(back.location).toMatch(/^http:\/\/rp\.test\/partner\/cb\?code=/);
    const tokens = await partner.callback(back.location!, first.pending);
    const idToken = tokens.claims()!;
    expect(idToken).toMatchObject({ idp: upstream.issuer, user_type: 'federated', amr: ['fed'] });
    const userinfo = await oidc.fetchUserInfo(partner.config, tokens.access_token, idToken.sub);
    expect(userinfo).toMatchObject({
      sub: idToken.sub, idp: upstream.issuer, given_name: 'Marta', family_name: marta.claims.family_name,
      schac_home_organization: 'upstream.example', eduperson_scoped_affiliation: ['staff@upstream.example'],
    });
    // trustEmailVerified is not set for this institution: its word on the address does not count, so the
    // account holds none and relying services get none (the address is the account's, never the assertion's).
    expect(userinfo).not.toHaveProperty('email');
    expect(await porta.services.db('federated_identities').where({ account_id: idToken.sub }).first()).toMatchObject({ idp: upstream.issuer, subject: marta.sub });

    marta.claims.family_name = 'Rossi-Bruno';
    const again = await upstreamSignIn(partner, marta);
    const tokens2 = await partner.callback((await throughConsent(again.browser, again.done)).location!, again.pending);
    expect(tokens2.claims()!.sub).toBe(idToken.sub);
    expect(await oidc.fetchUserInfo(partner.config, tokens2.access_token, idToken.sub)).toMatchObject({ family_name: 'Rossi-Bruno' });
  });

  test('idp_hint=<issuer> goes straight to that institution', async () => {
    const { done, browser, pending } = await upstreamSignIn(partner, person(), { params: { idp_hint: upstream.issuer } });
    const tokens = await partner.callback((await throughConsent(browser, done)).location!, pending);
    expect(tokens.claims()).toMatchObject({ idp: upstream.issuer, user_type: 'federated' });
  });

  test('a service that requires two factors asks for REFEDS MFA (acr_values); asserted, no local step; not asserted, Porta\'s own step', async () => {
    const strong = await upstreamSignIn(tuition, person(), { acr: MFA });
    expect(strong.authorization.searchParams.get('acr_values')).toBe(MFA);
    expect(strong.done.location).toMatch(/^http:\/\/rp\.test\/tuition\/cb\?code=/);
    expect((await tuition.callback(strong.done.location!, strong.pending)).claims()).toMatchObject({ acr: MFA, amr: ['fed', 'mfa'] });

    const single = await upstreamSignIn(tuition, person(), { acr: 'https://refeds.org/profile/sfa' });
    expect(single.done.url).toMatch(/\/second_factor$/);
    expect(single.done.location).toBeUndefined();
  });

  test('an institution that wants private_key_jwt gets Porta\'s signed assertion instead of a secret', async () => {
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize();
    const toUpstream = await browser.submit(await browser.go(pending.url), /\/saml$/, { idp: keyed.issuer });
    keyed.next = { person: keyed.person('keyed-1', { given_name: 'Ivo', family_name: 'Neri' }) };
    const callbackUrl = (await new Browser(keyed.issuer).go(toUpstream.location!)).location!;
    const back = await throughConsent(browser, await browser.go(callbackUrl));
    expect((await partner.callback(back.location!, pending)).claims()).toMatchObject({ idp: keyed.issuer, user_type: 'federated' });
    const shown = await porta.cli('federation', 'show', '--entity-id', keyed.issuer, '--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ clientAuthentication: 'private_key_jwt' });
    expect(shown.stdout).not.toContain(String(keyed.clientJwk!.d));
  });

  test('linking works as for SAML: a verified address of a local account is offered to link by its password; then the same sub', async () => {
    const local = await porta.createAccount({ email: 'linked@keyed.example' });
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize();
    const toUpstream = await browser.submit(await browser.go(pending.url), /\/saml$/, { idp: keyed.issuer });
    keyed.next = { person: keyed.person('keyed-link', { given_name: 'Lia', family_name: 'Verdi', email: 'linked@keyed.example', email_verified: true }) };
    const offer = await browser.go((await new Browser(keyed.issuer).go(toUpstream.location!)).location!);
    expect(offer.body).toContain('There is already a Porta account with the address linked@keyed.example, which Keyed University confirmed is yours.');
    const linked = await browser.submit(offer, /\/saml\/link$/, { password: TEST_PASSWORD });
    const tokens = await partner.callback((await throughConsent(browser, linked)).location!, pending);
    expect(tokens.claims()!.sub).toBe(local.id);
    expect(await porta.services.db('federated_identities').where({ account_id: local.id }).first()).toMatchObject({ idp: keyed.issuer, subject: 'keyed-link' });
  });

  test('allowed_idps names an OIDC institution by its issuer', async () => {
    const added = await porta.cli('clients', 'add', '--id', 'upstream-only', '--name', 'Upstream only', '--secret', 'test-upstream-only-secret-0123456789abcdef',
      '--redirect-uri', 'http://rp.test/upstream-only/cb', '--first-party', '--allowed-idps', upstream.issuer);
    expect(added.code).toBe(0);
    const rp = await relyingParty(porta.issuer, 'upstream-only', 'test-upstream-only-secret-0123456789abcdef', 'http://rp.test/upstream-only/cb');
    const browser = new Browser(porta.issuer);
    const loginPage = await browser.go((await rp.authorize()).url);
    expect(loginPage.body).toContain('Upstream University');
    expect(loginPage.body).not.toContain('Keyed University');
    const refused = await browser.submit(loginPage, /\/saml$/, { idp: keyed.issuer });
    expect(refused.status).toBe(403);
    expect(alertText(refused.body)).toBe('Upstream only does not accept sign-in with Keyed University. Choose another way to sign in.');
  });

  test('the digital library (internal users only) refuses a federated person', async () => {
    const { browser, done } = await upstreamSignIn(library, person());
    expect(done.body).toContain('This service is not available to users of other institutions.');
    const back = await browser.submit(done, /\/not_allowed$/);
    expect(new URL(back.location!).searchParams.get('error')).toBe('access_denied');
  });

  test('Porta started although one institution is unreachable; choosing it gives its page, not a 500', async () => {
    const browser = new Browser(porta.issuer);
    const loginPage = await browser.go((await partner.authorize()).url);
    expect(loginPage.body).toContain('Faraway University');
    const page = await browser.submit(loginPage, /\/saml$/, { idp: unreachable });
    expect(page.status).toBe(502);
    expect(alertText(page.body)).toBe('Faraway University cannot be reached just now, so signing in there is not possible. Try again in a few minutes, or choose another way to sign in.');
    expect(page.body).toContain('Choose another way to sign in');
  });
});

describe('what the institution answers that Porta refuses', () => {
  test('the person cancels (access_denied): the institution\'s page with try again / another way / cancel; cancel → access_denied; the same answer again is refused', async () => {
    const { browser, done, callbackUrl } = await upstreamSignIn(partner, undefined, { error: 'access_denied' });
    expect(done.status).toBe(400);
    expect(alertText(done.body)).toBe('Upstream University did not sign you in: the sign-in was cancelled or failed there.');
    expect(done.body).toContain('Try again');
    expect(done.body).toContain('Choose another way to sign in');
    const replayed = await browser.go(callbackUrl);
    expect(replayed.status).toBe(400);
    expect(alertText(replayed.body)).toBe('This answer from Upstream University was already used. Try again.');
    const retry = await browser.submit(done, /\/saml$/);
    expect(retry.location!.startsWith(`${upstream.issuer}/auth?`)).toBe(true);
    const cancelled = await browser.submit(done, /\/abort$/);
    expect(new URL(cancelled.location!).searchParams.get('error')).toBe('access_denied');
  });

  test('a forged state, or a genuine answer brought into another browser, finishes nothing', async () => {
    const forged = await new Browser(porta.issuer).go(`/federation/oidc/callback?state=_${'ab'.repeat(20)}&code=x`);
    expect(forged.status).toBe(400);
    expect(alertText(forged.body)).toBe('This answer from an institution was not expected here, or it has expired. Go back to the service and start again.');
    const garbage = await new Browser(porta.issuer).go('/federation/oidc/callback?state=%00%27&code=x');
    expect(garbage.status).toBe(400);

    // The attacker's own sign-in, its answer taken to the victim's browser (login CSRF): no interaction there.
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize();
    const toUpstream = await browser.submit(await browser.go(pending.url), /\/saml$/, { idp: upstream.issuer });
    upstream.next = { person: person() };
    const callbackUrl = (await new Browser(upstream.issuer).go(toUpstream.location!)).location!;
    const elsewhere = await new Browser(porta.issuer).go(callbackUrl);
    expect(elsewhere.status).toBeGreaterThanOrEqual(400);
    expect(elsewhere.status).toBeLessThan(500);
    expect(elsewhere.location).toBeUndefined();
    // Nor in the victim's own interaction, by a crafted link to its return address: the state is not its request.
    const victim = new Browser(porta.issuer);
    const victimLogin = await victim.go((await partner.authorize()).url);
    const victimUid = /\/interaction\/([^/?]+)/.exec(victimLogin.url)![1]!;
    const crafted = await victim.go(`/interaction/${victimUid}/oidc/return?${new URL(callbackUrl).searchParams}`);
    expect(crafted.status).toBe(400);
    expect(alertText(crafted.body)).toBe('This answer from an institution was not expected here, or it has expired. Go back to the service and start again.');
    // The request was not spent by either: the rightful browser still finishes.
    const done = await browser.go(callbackUrl);
    expect((await throughConsent(browser, done)).location).toMatch(/^http:\/\/rp\.test\/partner\/cb\?code=/);
  });

  test.each([
    ['a wrong nonce', { nonce: 'someone-elses-nonce' }],
    ['a wrong audience', { aud: 'another-client' }],
    ['an expired ID token', { exp: Math.floor(Date.now() / 1000) - 3600 }],
  ])('an ID token with %s is refused with a page naming the institution', async (_what, tamper) => {
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize();
    const toUpstream = await browser.submit(await browser.go(pending.url), /\/saml$/, { idp: upstream.issuer });
    upstream.next = { person: person() };
    upstream.tamper = tamper;
    const callbackUrl = (await new Browser(upstream.issuer).go(toUpstream.location!)).location!;
    const page = await browser.go(callbackUrl);
    expect(page.status).toBe(400);
    expect(alertText(page.body)).toBe('The answer from Upstream University could not be verified, so we did not use it. Try again, or choose another way to sign in.');
  });

  test('userinfo failing at the institution is a page naming it, not a 500', async () => {
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize();
    const toUpstream = await browser.submit(await browser.go(pending.url), /\/saml$/, { idp: upstream.issuer });
    upstream.next = { person: person() };
    upstream.failUserinfo = true;
    const page = await browser.go((await new Browser(upstream.issuer).go(toUpstream.location!)).location!);
    expect(page.status).toBe(400);
    expect(alertText(page.body)).toBe('The answer from Upstream University could not be verified, so we did not use it. Try again, or choose another way to sign in.');
  });

  test('the institution going away before the code is exchanged: its "cannot be reached" page', async () => {
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize();
    const toUpstream = await browser.submit(await browser.go(pending.url), /\/saml$/, { idp: upstream.issuer });
    upstream.next = { person: person() };
    upstream.dropToken = true;
    const page = await browser.go((await new Browser(upstream.issuer).go(toUpstream.location!)).location!);
    expect(page.status).toBe(400);
    expect(alertText(page.body)).toBe('Upstream University cannot be reached just now, so signing in there is not possible. Try again in a few minutes, or choose another way to sign in.');
  });

  test('in Italian for an Italian page', async () => {
    const { done } = await upstreamSignIn(partner, undefined, { error: 'access_denied', params: { ui_locales: 'it' } });
    expect(done.body).toContain('<h1>L’accesso con la tua istituzione non è riuscito</h1>');
    expect(alertText(done.body)).toBe('Università Upstream non ti ha fatto accedere: l’accesso è stato annullato o non è riuscito.');
    expect(done.body).toContain('Riprova');
  });
});

describe('porta federation list|show', () => {
  test('show OIDC institutions without their secrets', async () => {
    const list = await porta.cli('federation', 'list');
    expect(list.stdout).toContain(`${upstream.issuer}  Upstream University`);
    const shown = await porta.cli('federation', 'show', '--entity-id', upstream.issuer);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^client authentication client_secret_basic$/m);
    expect(shown.stdout).toMatch(/^claims +affiliation → eduperson_scoped_affiliation$/m);
    const json = await porta.cli('federation', 'show', '--entity-id', upstream.issuer, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'oidc', clientId: 'porta', scopes: 'openid email profile' });
    for (const out of [list.stdout, shown.stdout, json.stdout]) expect(out).not.toContain(upstream.clientSecret);
  });
});
