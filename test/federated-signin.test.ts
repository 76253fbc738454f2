/**
 * Signing in with one's institution: openid-client as the relying service, Porta as the OpenID provider and
 * SAML SP, a samlify IdP (test/helpers/saml-idp.ts) as the institution. The browser carries the AuthnRequest
 * to the IdP and posts its answer to /saml/acs, as a real one does (a cross-site POST without Porta's cookies).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { alertText, Browser, type Page } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { SmtpCatcher } from './helpers/smtp.js';
import { fixtureRp, type Rp } from './helpers/rp.js';
import { TestSamlIdp, type TestUser } from './helpers/saml-idp.js';
import { totp } from './helpers/totp.js';
import { newTotpSecret } from '../src/mfa/totp.js';

const EPPN = 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6';
const MAIL = 'urn:oid:0.9.2342.19200300.100.1.3';
const GIVEN = 'urn:oid:2.5.4.42';
const SN = 'urn:oid:2.5.4.4';
const AFFILIATION = 'urn:oid:1.3.6.1.4.1.5923.1.1.1.9';
const SCHAC_HOME = 'urn:oid:1.3.6.1.4.1.25178.1.2.9';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

let porta: TestPorta;
let uni: TestSamlIdp;
let other: TestSamlIdp;
/** A registered institution of its own that shares University of Example's signing key (a hosted, multi-tenant IdP). */
let twin: TestSamlIdp;
let spMetadata: string;
let partner: Rp;
let library: Rp;
let tuition: Rp;
let counter = 0;
let smtp: SmtpCatcher;

/** A person at the University of Example, different each time unless `nameId` is given. */
function person(over: Partial<TestUser> = {}): TestUser {
  const n = ++counter;
  return {
    nameId: `persistent-${n}-${Math.random().toString(16).slice(2)}`,
    attributes: {
      [EPPN]: [`lbianchi${n}@uni.example`], [MAIL]: [`l.bianchi${n}@uni.example`], [GIVEN]: ['Luca'], [SN]: ['Bianchi'],
      [AFFILIATION]: ['staff@uni.example', 'member@elsewhere.example'], [SCHAC_HOME]: ['uni.example'],
    },
    ...over,
  };
}

beforeAll(async () => {
  uni = new TestSamlIdp('uni');
  other = new TestSamlIdp('other');
  twin = new TestSamlIdp('twin', uni.key);
  const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'porta-federation-'));
  writeFileSync(join(dir, 'uni.xml'), uni.metadataXml());
  writeFileSync(join(dir, 'other.xml'), other.metadataXml({ en: 'Other University' }, ['other.example']));
  writeFileSync(join(dir, 'twin.xml'), twin.metadataXml({ en: 'Twin College' }, ['twin.example']));
  writeFileSync(join(dir, 'federation.json'), JSON.stringify({
    saml: [
      { metadata: 'uni.xml', trustEmailVerified: true },
      { metadata: 'twin.xml' },
      { metadata: 'other.xml', displayNames: { en: 'Another University', it: 'Un\'altra Università' } },
    ],
  }));
  smtp = await new SmtpCatcher().start();
  porta = await startPorta({ federationFile: join(dir, 'federation.json'), smtpUrl: smtp.url, selfServicePostsPerIpPerHour: 1000 });
  spMetadata = await (await fetch(`${porta.url}/saml/metadata`)).text();
  partner = await fixtureRp(porta.issuer, 'partner-tool');
  library = await fixtureRp(porta.issuer, 'digital-library');
  tuition = await fixtureRp(porta.issuer, 'tuition');
});
afterAll(async () => { await porta.stop(); await smtp.stop(); });

/** The login page's institution button → the redirect to the IdP (the browser stops there: another origin). */
async function chooseInstitution(browser: Browser, loginPage: Page, idp: TestSamlIdp): Promise<string> {
  const atIdp = await browser.submit(loginPage, /\/saml$/, { idp: idp.entityId });
  expect(atIdp.status).toBe(303);
  expect(atIdp.location!.startsWith(`${idp.ssoUrl}?`)).toBe(true);
  return atIdp.location!;
}

/** The IdP's answer, posted by the browser to the ACS with the RelayState it was given. */
function postToAcs(browser: Browser, redirectUrl: string, samlResponse: string): Promise<Page> {
  const relayState = new URL(redirectUrl).searchParams.get('RelayState') ?? '';
  return browser.go('/saml/acs', { form: { SAMLResponse: samlResponse, RelayState: relayState } });
}

/** Authorize at `rp` → the institution → back: where the browser ends. */
async function federatedSignIn(rp: Rp, user: TestUser, o: { browser?: Browser; idp?: TestSamlIdp; params?: Record<string, string> } = {}) {
  const browser = o.browser ?? new Browser(porta.issuer);
  const idp = o.idp ?? uni;
  const pending = await rp.authorize({ scope: 'openid profile email eduperson', ...o.params });
  const loginPage = await browser.go(pending.url);
  const redirect = await chooseInstitution(browser, loginPage, idp);
  const { requestId, sp } = await idp.receive(spMetadata, redirect);
  const response = await idp.respond(sp, requestId, user);
  const done = await postToAcs(browser, redirect, response);
  return { browser, pending, loginPage, redirect, requestId, sp, response, done };
}

/** Past the partner tool's consent page to its callback. */
async function throughConsent(browser: Browser, page: Page): Promise<Page> {
  if (page.location?.startsWith('http://rp.test/')) return page;
  expect(page.body).toContain('Partner institutions tool asks to:');
  return browser.submit(page, /\/confirm$/);
}

describe('signing in with one\'s institution', () => {
  test('the first sign-in makes a federated account with the institution\'s claims; the second finds the same one (same sub), profile refreshed', async () => {
    const luca = person();
    const first = await federatedSignIn(partner, luca);
    expect(first.loginPage.body).toContain('Sign in with your institution');
    expect(first.loginPage.body).toContain(`<button type="submit" name="idp" value="${uni.entityId}">University of Example</button>`);
    expect(first.loginPage.body).toContain('Another University');
    const back = await throughConsent(first.browser, first.done);
    expect(back.location).toMatch(/^http:\/\/rp\.test\/partner\/cb\?code=/);
    const tokens = await partner.callback(back.location!, first.pending);
    const idToken = tokens.claims()!;
    expect(idToken).toMatchObject({ idp: uni.entityId, user_type: 'federated', amr: ['fed'], acr: 'https://refeds.org/profile/sfa' });
    expect(idToken.person_code).toMatch(/^[1-9]\d{7}$/);
    const claims = await oidc.fetchUserInfo(partner.config, tokens.access_token, idToken.sub);
    expect(claims).toMatchObject({
      sub: idToken.sub, idp: uni.entityId, user_type: 'federated', given_name: 'Luca', family_name: 'Bianchi', name: 'Luca Bianchi',
      email: luca.attributes[MAIL]![0], email_verified: true, eduperson_principal_name: luca.attributes[EPPN]![0],
      schac_home_organization: 'uni.example',
      // The affiliation in a scope the IdP's metadata does not declare is dropped.
      eduperson_scoped_affiliation: ['staff@uni.example'],
    });
    const account = await porta.services.accounts.findById(idToken.sub);
    expect(account).toMatchObject({ userType: 'federated', passwordHash: null, username: null, status: 'active' });
    expect((await porta.services.audit.list({ accountId: idToken.sub })).map((e) => e.action)).toEqual(expect.arrayContaining(['federation.account_created', 'login.succeeded']));
    // The helpdesk sees which institution the account comes from.
    const shown = await porta.cli('users', 'show', String(idToken.person_code));
    expect(shown.stdout).toMatch(new RegExp(`^institution +${uni.entityId.replace(/[.]/g, '\\.')} \\(identifier ${luca.nameId}; first `, 'm'));
    expect(shown.stdout).toMatch(/^type +federated$/m);

    // Later, in another browser, the institution sends a new surname: same account, refreshed.
    const again = await federatedSignIn(partner, { ...luca, attributes: { ...luca.attributes, [SN]: ['Bianchi-Verdi'] } });
    const tokens2 = await partner.callback((await throughConsent(again.browser, again.done)).location!, again.pending);
    expect(tokens2.claims()!.sub).toBe(idToken.sub);
    expect(await oidc.fetchUserInfo(partner.config, tokens2.access_token, idToken.sub)).toMatchObject({ family_name: 'Bianchi-Verdi', idp: uni.entityId });
    expect(await porta.services.db('federated_identities').where({ account_id: idToken.sub }).count({ n: '*' })).toEqual([{ n: expect.anything() }]);
    expect(Number((await porta.services.db('federated_identities').where({ account_id: idToken.sub }).count({ n: '*' }))[0]!.n)).toBe(1);
  });

  test('a federated account has no password: signing in with its person code and any password is refused like a wrong password', async () => {
    const first = await federatedSignIn(partner, person());
    const tokens = await partner.callback((await throughConsent(first.browser, first.done)).location!, first.pending);
    const browser = new Browser(porta.issuer);
    const page = await browser.go((await partner.authorize()).url);
    const refused = await browser.submit(page, /\/login$/, { login: String(tokens.claims()!.person_code), password: 'anything-at-all-1' });
    expect(refused.status).toBe(200);
    expect(alertText(refused.body)).toBe('Invalid username or password');
    // However many tries: no lockout counts, no lock, and no lock mail offering a reset it cannot use.
    const personCode = String(tokens.claims()!.person_code);
    let last = refused;
    for (let i = 1; i < porta.services.config.loginLockoutThreshold; i++) last = await browser.submit(last, /\/login$/, { login: personCode, password: `anything-at-all-${i + 1}` });
    expect(alertText(last.body)).toBe('Invalid username or password');
    const row = await porta.services.db('accounts').where({ id: tokens.claims()!.sub }).first('failed_logins', 'locked_until');
    expect(Number(row.failed_logins)).toBe(0);
    expect(row.locked_until).toBeNull();
    expect((await porta.services.audit.list({ accountId: tokens.claims()!.sub })).map((e) => e.action)).not.toContain('account.locked');
  });

  test('idp_hint=<entityID> goes straight to that institution; an unknown one says so and offers the other ways', async () => {
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize({ idp_hint: other.entityId, scope: 'openid' });
    const atIdp = await browser.go(pending.url);
    expect(atIdp.location!.startsWith(`${other.ssoUrl}?`)).toBe(true);
    const { requestId, sp } = await other.receive(spMetadata, atIdp.location!);
    const done = await postToAcs(browser, atIdp.location!, await other.respond(sp, requestId, person({ attributes: { [GIVEN]: ['Ada'], [SN]: ['Neri'] } })));
    const back = await throughConsent(browser, done);
    const tokens = await partner.callback(back.location!, pending);
    expect(tokens.claims()).toMatchObject({ idp: other.entityId, user_type: 'federated' });

    const unknown = await new Browser(porta.issuer).go((await partner.authorize({ idp_hint: 'https://idp.nowhere.example/idp' })).url);
    expect(unknown.status).toBe(404);
    expect(alertText(unknown.body)).toBe('We do not know that institution, so you cannot sign in with it here. Choose another way to sign in.');
    expect(unknown.body).toContain('Choose another way to sign in');
  });

  test('the digital library (internal users only) refuses a federated person; the partner tool admits them', async () => {
    const luca = person();
    const { browser, done } = await federatedSignIn(library, luca);
    expect(done.status).toBe(200);
    expect(done.body).toContain('This service is not available to users of other institutions.');
    const back = await browser.submit(done, /\/not_allowed$/);
    expect(new URL(back.location!).searchParams.get('error')).toBe('access_denied');

    const admitted = await federatedSignIn(partner, luca);
    expect((await throughConsent(admitted.browser, admitted.done)).location).toMatch(/^http:\/\/rp\.test\/partner\/cb\?code=/);
  });

  test('a service that requires two factors asks the institution for REFEDS MFA; asserted, no local second factor is asked', async () => {
    const user = person({ authnContext: 'https://refeds.org/profile/mfa' });
    const { pending, redirect, done } = await federatedSignIn(tuition, user);
    const request = TestSamlIdp.requestXml(redirect);
    expect(request).toMatch(/<samlp:RequestedAuthnContext[^>]*Comparison="exact"/);
    expect(request).toMatch(/<saml:AuthnContextClassRef[^>]*>https:\/\/refeds\.org\/profile\/mfa<\/saml:AuthnContextClassRef><\/samlp:RequestedAuthnContext>/);
    expect(done.location).toMatch(/^http:\/\/rp\.test\/tuition\/cb\?code=/);
    const tokens = await tuition.callback(done.location!, pending);
    expect(tokens.claims()).toMatchObject({ acr: 'https://refeds.org/profile/mfa', amr: ['fed', 'mfa'] });

    // Without REFEDS MFA from the institution, Porta's own second-factor step follows: a federated account
    // sets up an app like anyone else, confirmed by a code mailed to the address its institution vouches for.
    const single = await federatedSignIn(tuition, person());
    expect(single.done.url).toMatch(/\/second_factor$/);
    expect(single.done.body).toContain('Tuition fees asks for two-factor authentication: besides signing in with your institution, a code from an app on your phone.');
    expect(single.done.location).toBeUndefined();
  });

  test('an institution that cannot do the MFA asked for (NoAuthnContext) is asked once more without it; Porta\'s own second factor follows', async () => {
    const browser = new Browser(porta.issuer);
    const redirect = await chooseInstitution(browser, await browser.go((await tuition.authorize({ scope: 'openid' })).url), uni);
    expect(TestSamlIdp.requestXml(redirect)).toContain('RequestedAuthnContext');
    const first = await uni.receive(spMetadata, redirect);
    const back = await postToAcs(browser, redirect, uni.failure(first.sp, first.requestId, 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext'));
    // Straight back to the institution, with a plain request this time.
    expect(back.status).toBe(303);
    expect(back.location!.startsWith(`${uni.ssoUrl}?`)).toBe(true);
    expect(TestSamlIdp.requestXml(back.location!)).not.toContain('RequestedAuthnContext');
    const second = await uni.receive(spMetadata, back.location!);
    const done = await postToAcs(browser, back.location!, await uni.respond(second.sp, second.requestId, person()));
    expect(done.url).toMatch(/\/second_factor$/);
    expect(done.body).toContain('Tuition fees asks for two-factor authentication');

    // A refusal of the plain request is shown, not restarted again.
    const browser2 = new Browser(porta.issuer);
    const redirect2 = await chooseInstitution(browser2, await browser2.go((await tuition.authorize({ scope: 'openid' })).url), uni);
    const a = await uni.receive(spMetadata, redirect2);
    const plain = await postToAcs(browser2, redirect2, uni.failure(a.sp, a.requestId, 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed'));
    const b = await uni.receive(spMetadata, plain.location!);
    const page = await postToAcs(browser2, plain.location!, uni.failure(b.sp, b.requestId, 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed'));
    expect(page.status).toBe(400);
    expect(alertText(page.body)).toBe('University of Example did not sign you in: the sign-in was cancelled or failed there.');
  });

  test('prompt=login asks the institution for a fresh sign-in (ForceAuthn) and refuses a reused one; auth_time is when the person signed in there', async () => {
    const hourAgo = new Date(Date.now() - 3600_000);
    // Without prompt=login: no ForceAuthn, the institution's SSO session is fine, and auth_time says when it began.
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize({ scope: 'openid' });
    const redirect = await chooseInstitution(browser, await browser.go(pending.url), uni);
    expect(TestSamlIdp.requestXml(redirect)).not.toContain('ForceAuthn');
    const first = await uni.receive(spMetadata, redirect);
    const done = await postToAcs(browser, redirect, await uni.respond(first.sp, first.requestId, person(), { authnInstant: hourAgo }));
    const tokens = await partner.callback((await throughConsent(browser, done)).location!, pending);
    expect(tokens.claims()!.auth_time).toBe(Math.floor(hourAgo.getTime() / 1000));

    // With prompt=login: ForceAuthn; an answer from the hour-old session is refused, a fresh one is taken.
    const pending2 = await partner.authorize({ scope: 'openid', prompt: 'login' });
    const browser2 = new Browser(porta.issuer);
    const redirect2 = await chooseInstitution(browser2, await browser2.go(pending2.url), uni);
    expect(TestSamlIdp.requestXml(redirect2)).toContain('ForceAuthn="true"');
    const second = await uni.receive(spMetadata, redirect2);
    const reused = await postToAcs(browser2, redirect2, await uni.respond(second.sp, second.requestId, person(), { authnInstant: hourAgo }));
    expect(reused.status).toBe(400);
    expect(alertText(reused.body)).toContain('arrived too late');
    const retry = await browser2.submit(reused, /\/saml$/);
    const third = await uni.receive(spMetadata, retry.location!);
    const fresh = await postToAcs(browser2, retry.location!, await uni.respond(third.sp, third.requestId, person()));
    const tokens2 = await partner.callback((await throughConsent(browser2, fresh)).location!, pending2);
    expect(tokens2.claims()!.auth_time).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60);
  });

  test('a service with allowed_idps offers and accepts only those institutions, also to an existing session', async () => {
    const added = await porta.cli('clients', 'add', '--id', 'uni-only', '--name', 'Uni only', '--secret', 'test-uni-only-secret-0123456789abcdefghij',
      '--redirect-uri', 'http://rp.test/uni-only/cb', '--first-party', '--allowed-idps', uni.entityId);
    expect(added.code).toBe(0);
    expect((await porta.cli('clients', 'show', '--id', 'uni-only')).stdout).toMatch(new RegExp(`^institutions +${uni.entityId.replace(/[.]/g, '\\.')} only$`, 'm'));
    const { relyingParty } = await import('./helpers/rp.js');
    const uniOnly = await relyingParty(porta.issuer, 'uni-only', 'test-uni-only-secret-0123456789abcdefghij', 'http://rp.test/uni-only/cb');
    const browser = new Browser(porta.issuer);
    const page = await browser.go((await uniOnly.authorize()).url);
    expect(page.body).toContain('University of Example');
    expect(page.body).not.toContain('Another University');
    const refused = await browser.submit(page, /\/saml$/, { idp: other.entityId });
    expect(refused.status).toBe(403);
    expect(alertText(refused.body)).toBe('Uni only does not accept sign-in with Another University. Choose another way to sign in.');

    // Signed in at the other institution for the partner tool, the same browser is refused by uni-only.
    const first = await federatedSignIn(partner, person(), { idp: other });
    await throughConsent(first.browser, first.done);
    const sso = await first.browser.go((await uniOnly.authorize()).url);
    expect(sso.body).toContain('This service is not available to users of other institutions.');
    // Opened to every institution again (porta clients update), the same session gets in.
    expect((await porta.cli('clients', 'update', '--id', 'uni-only', '--allowed-idps', 'all')).code).toBe(0);
    expect((await first.browser.go((await uniOnly.authorize()).url)).location).toMatch(/^http:\/\/rp\.test\/uni-only\/cb\?code=/);
  });

  test('linking is never automatic: a new identity whose address a local account holds is offered to link by that account\'s password; both ways then lead to the same sub; unlinking in the personal area', async () => {
    const local = await porta.createAccount({ email: 'linked@uni.example' });
    const user = person();
    user.attributes[MAIL] = ['linked@uni.example'];
    const { browser, pending, done } = await federatedSignIn(partner, user);
    expect(done.status).toBe(200);
    expect(done.body).toContain('<h1>You already have an account</h1>');
    expect(done.body).toContain('There is already a Porta account with the address linked@uni.example, which University of Example confirmed is yours.');

    const wrong = await browser.submit(done, /\/saml\/link$/, { password: 'not-the-password-1' });
    expect(wrong.status).toBe(400);
    expect(alertText(wrong.body)).toBe('Invalid username or password');
    const linked = await browser.submit(wrong, /\/saml\/link$/, { password: TEST_PASSWORD });
    const tokens = await partner.callback((await throughConsent(browser, linked)).location!, pending);
    expect(tokens.claims()!.sub).toBe(local.id);
    expect((await smtp.last('linked@uni.example')).subject).toBe('An institution account was linked to your account');
    expect((await porta.services.audit.list({ accountId: local.id })).map((e) => e.action)).toContain('federation.linked');

    // Next time the institution leads straight to the same account, with no offer.
    const again = await federatedSignIn(partner, user);
    expect((await partner.callback((await throughConsent(again.browser, again.done)).location!, again.pending)).claims()!.sub).toBe(local.id);

    // The personal area lists the institution and unlinks it (a password remains); the holder is told.
    const area = await browser.go('/account');
    expect(area.body).toContain('<strong>University of Example</strong>');
    const unlinked = await browser.submit(area, '/account/institutions/unlink');
    expect(unlinked.url).toMatch(/\/account\?done=unlinked$/);
    expect(unlinked.body).toContain('The institution account is no longer linked.');
    expect((await smtp.last('linked@uni.example', 2)).subject).toBe('An institution account was unlinked from your account');
    // Unlinked, the institution identity is new again: the offer comes back.
    expect((await federatedSignIn(partner, user)).done.body).toContain('You already have an account');
  });

  test('linking to a local account with a second factor asks that factor too: the password alone does not link', async () => {
    const local = await porta.createAccount({ email: 'guarded@uni.example' });
    const secret = newTotpSecret();
    await porta.services.secondFactors.addTotp(local.id, 'Phone', secret, Math.floor(porta.clock.now() / 30000) - 2);
    const user = person();
    user.attributes[MAIL] = ['guarded@uni.example'];
    const { browser, pending, done } = await federatedSignIn(partner, user);
    expect(done.body).toContain('<label for="code">Code from your app, or a recovery code</label>');
    expect(done.body).toContain('Enter its password and a code of its second factor to prove it is yours.');
    const passwordOnly = await browser.submit(done, /\/saml\/link$/, { password: TEST_PASSWORD });
    expect(passwordOnly.status).toBe(400);
    expect(alertText(passwordOnly.body)).toBe('The password or the code is not correct, or the code was already used.');
    expect(await porta.services.db('federated_identities').where({ account_id: local.id }).first()).toBeUndefined();
    // The wrong attempt counted toward the account's lockout, like a wrong sign-in.
    expect((await porta.services.audit.list({ accountId: local.id })).map((e) => e.action)).toContain('mfa.reproof_failed');
    const linked = await browser.submit(passwordOnly, /\/saml\/link$/, { password: TEST_PASSWORD, code: totp(secret, porta.clock.now()) });
    const tokens = await partner.callback((await throughConsent(browser, linked)).location!, pending);
    expect(tokens.claims()!.sub).toBe(local.id);
  });

  test('declining the offer makes a separate federated account, which keeps no address of its own (nothing merged)', async () => {
    const local = await porta.createAccount({ email: 'shared@uni.example' });
    const user = person();
    user.attributes[MAIL] = ['shared@uni.example'];
    const { browser, pending, done } = await federatedSignIn(partner, user);
    const separate = await browser.submit(done, /\/saml\/separate$/);
    const tokens = await partner.callback((await throughConsent(browser, separate)).location!, pending);
    const sub = tokens.claims()!.sub;
    expect(sub).not.toBe(local.id);
    expect((await porta.services.accounts.findById(sub))).toMatchObject({ userType: 'federated', email: null });
    expect((await porta.services.accounts.findById(local.id))!.email).toBe('shared@uni.example');
    // A federated account's own institution cannot be unlinked: it has no password to sign in with.
    const area = await browser.go('/account');
    expect(area.body).toContain('<strong>University of Example</strong>');
    expect(area.body).not.toContain('/account/institutions/unlink');
  });

  test('an institution whose mail is not trusted as verified is never offered a link', async () => {
    await porta.createAccount({ email: 'untrusted@other.example' });
    const user = person();
    user.attributes[MAIL] = ['untrusted@other.example'];
    const { done } = await federatedSignIn(partner, user, { idp: other });
    expect(done.body).not.toContain('You already have an account');
  });

  test('relying services get only the address the account holds: not another account\'s, not an unverified or malformed one, which is not stored either', async () => {
    /** Signs in through `idp` asserting `mail`: the account and the claims the partner tool gets. */
    async function signInWith(idp: TestSamlIdp, mail: string) {
      const user = person();
      user.attributes[MAIL] = [mail];
      const { browser, pending, done } = await federatedSignIn(partner, user, { idp });
      const page = done.body.includes('You already have an account') ? await browser.submit(done, /\/saml\/separate$/) : done;
      const tokens = await partner.callback((await throughConsent(browser, page)).location!, pending);
      const idToken = tokens.claims()!;
      return { account: await porta.services.accounts.findById(idToken.sub), idToken, userinfo: await oidc.fetchUserInfo(partner.config, tokens.access_token, idToken.sub) };
    }
    // A trusted institution asserting an address another account holds (the person went on separately).
    await porta.createAccount({ email: 'held@uni.example' });
    const held = await signInWith(uni, 'held@uni.example');
    expect(held.account).toMatchObject({ email: null });
    expect(held.idToken.email).toBeUndefined();
    expect(held.userinfo.email).toBeUndefined();
    expect(held.userinfo.email_verified).toBeUndefined();
    // An institution not trusted for mail: its address is neither stored (the real owner can still register it) nor passed on.
    const untrusted = await signInWith(other, 'someone@other.example');
    expect(untrusted.account).toMatchObject({ email: null });
    expect(untrusted.userinfo.email).toBeUndefined();
    expect(untrusted.userinfo.idp).toBe(other.entityId);
    expect(await porta.services.accounts.findByEmail('someone@other.example')).toBeUndefined();
    // A trusted institution's malformed address (two recipients) is refused like at registration.
    const malformed = await signInWith(uni, 'a@uni.example, b@uni.example');
    expect(malformed.account).toMatchObject({ email: null });
    expect(malformed.userinfo.email).toBeUndefined();
  });

  test('a service that does not need two factors does not ask the institution for any authentication context', async () => {
    const browser = new Browser(porta.issuer);
    const redirect = await chooseInstitution(browser, await browser.go((await partner.authorize()).url), uni);
    expect(TestSamlIdp.requestXml(redirect)).not.toContain('RequestedAuthnContext');
  });
});

describe('what the institution sends that Porta refuses', () => {
  test('a tampered signature: a page naming the institution, with try again, another way and cancel (access_denied only then)', async () => {
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize();
    const redirect = await chooseInstitution(browser, await browser.go(pending.url), uni);
    const { requestId, sp } = await uni.receive(spMetadata, redirect);
    const genuine = Buffer.from(await uni.respond(sp, requestId, person()), 'base64').toString();
    const tampered = Buffer.from(genuine.replace('>Luca<', '>Mallory<')).toString('base64');
    const page = await postToAcs(browser, redirect, tampered);
    expect(page.status).toBe(400);
    expect(alertText(page.body)).toBe('The answer from University of Example could not be verified, so we did not use it. Try again, or choose another way to sign in.');
    // "Try again" starts a new request at the same institution.
    const retry = await browser.submit(page, /\/saml$/);
    expect(retry.location!.startsWith(`${uni.ssoUrl}?`)).toBe(true);
    // "Choose another way" is the login page again.
    const otherWay = await browser.go(/href="(\/interaction\/[^"]+\?choose=1)"/.exec(page.body)![1]!);
    expect(otherWay.body).toContain('<h1>Sign in</h1>');
    const cancelled = await browser.submit(page, /\/abort$/);
    expect(new URL(cancelled.location!).searchParams.get('error')).toBe('access_denied');
  });

  test('garbage instead of a response, or a body too large, is a page, never a 500', async () => {
    const browser = new Browser(porta.issuer);
    const redirect = await chooseInstitution(browser, await browser.go((await partner.authorize()).url), uni);
    const garbage = await postToAcs(browser, redirect, Buffer.from('<not-saml').toString('base64'));
    expect(garbage.status).toBe(400);
    expect(alertText(garbage.body)).toContain('could not be verified');
    const huge = await postToAcs(browser, redirect, 'A'.repeat(600 * 1024));
    expect(huge.status).toBe(413);
  });

  test('a response signed for another audience is refused', async () => {
    const browser = new Browser(porta.issuer);
    const redirect = await chooseInstitution(browser, await browser.go((await partner.authorize()).url), uni);
    const { requestId } = await uni.receive(spMetadata, redirect);
    const elsewhere = uni.serviceProvider(spMetadata.replace(/entityID="[^"]+"/, 'entityID="https://sp.elsewhere.example/sp"'));
    const page = await postToAcs(browser, redirect, await uni.respond(elsewhere, requestId, person()));
    expect(alertText(page.body)).toContain('could not be verified');
  });

  test('another registered institution signing with the same key cannot answer a request sent to University of Example', async () => {
    const browser = new Browser(porta.issuer);
    const redirect = await chooseInstitution(browser, await browser.go((await partner.authorize()).url), uni);
    const { requestId, sp } = await twin.receive(spMetadata, redirect);
    const page = await postToAcs(browser, redirect, await twin.respond(sp, requestId, person()));
    expect(page.status).toBe(400);
    expect(alertText(page.body)).toContain('The answer from University of Example could not be verified');
    // Nor with only the Response's Issuer wrong (the assertion's right).
    const browser2 = new Browser(porta.issuer);
    const redirect2 = await chooseInstitution(browser2, await browser2.go((await partner.authorize()).url), uni);
    const second = await uni.receive(spMetadata, redirect2);
    const page2 = await postToAcs(browser2, redirect2, await uni.respond(second.sp, second.requestId, person(), { responseIssuer: twin.entityId }));
    expect(alertText(page2.body)).toContain('could not be verified');
  });

  test('a response addressed to another ACS (Destination or bearer Recipient) is refused; one without Destination is taken', async () => {
    const elsewhere = 'https://staging.porta.example/saml/acs';
    for (const [options, refused] of [[{ destination: elsewhere }, true], [{ recipient: elsewhere }, true], [{ destination: null }, false]] as const) {
      const browser = new Browser(porta.issuer);
      const pending = await partner.authorize();
      const redirect = await chooseInstitution(browser, await browser.go(pending.url), uni);
      const { requestId, sp } = await uni.receive(spMetadata, redirect);
      const page = await postToAcs(browser, redirect, await uni.respond(sp, requestId, person(), options));
      if (refused) {
        expect(page.status).toBe(400);
        expect(alertText(page.body)).toContain('could not be verified');
      } else {
        expect((await throughConsent(browser, page)).location).toMatch(/^http:\/\/rp\.test\/partner\/cb\?code=/);
      }
    }
  });

  test('an expired assertion (issued ten minutes ago, valid five): a page on time, never a 500', async () => {
    const browser = new Browser(porta.issuer);
    const redirect = await chooseInstitution(browser, await browser.go((await partner.authorize()).url), uni);
    const { requestId, sp } = await uni.receive(spMetadata, redirect);
    const page = await postToAcs(browser, redirect, await uni.respond(sp, requestId, person(), { issuedAt: new Date(Date.now() - 10 * 60_000) }));
    expect(page.status).toBe(400);
    expect(alertText(page.body)).toBe('The answer from University of Example arrived too late, or its clock and ours disagree. Try again; if it keeps happening, tell the helpdesk of your institution.');
  });

  test('a replayed response is refused; so is an unsolicited one', async () => {
    const first = await federatedSignIn(partner, person());
    expect((await throughConsent(first.browser, first.done)).location).toMatch(/^http:\/\/rp\.test\/partner\/cb\?code=/);
    // The same response posted again (by the same browser or anyone who saw it) signs nobody in.
    const again = await postToAcs(first.browser, first.redirect, first.response);
    expect(again.location ?? '').not.toMatch(/code=/);
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);

    // Unsolicited: no RelayState of a request Porta sent.
    const unsolicited = await new Browser(porta.issuer).go('/saml/acs', { form: { SAMLResponse: await uni.respond(first.sp, '', person()) } });
    expect(unsolicited.status).toBe(400);
    expect(alertText(unsolicited.body)).toBe('This answer from an institution was not expected here, or it has expired. Go back to the service and start again.');
  });

  test('a response posted into another browser (login CSRF) does not sign that browser in', async () => {
    const attacker = new Browser(porta.issuer);
    const redirect = await chooseInstitution(attacker, await attacker.go((await partner.authorize()).url), uni);
    const { requestId, sp } = await uni.receive(spMetadata, redirect);
    const victim = new Browser(porta.issuer);
    await victim.go((await partner.authorize()).url);
    const page = await postToAcs(victim, redirect, await uni.respond(sp, requestId, person()));
    expect(page.location ?? '').not.toMatch(/code=/);
    expect(page.status).toBe(400);
  });

  test('an encrypted assertion is decrypted and signs in', async () => {
    // The registered institution (same entity, same key), now encrypting its assertions to Porta's certificate.
    const encrypting = new TestSamlIdp('uni', uni.key, true);
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize({ scope: 'openid eduperson' });
    const redirect = await chooseInstitution(browser, await browser.go(pending.url), uni);
    const { requestId, sp } = await encrypting.receive(spMetadata, redirect);
    const response = await encrypting.respond(sp, requestId, person());
    expect(Buffer.from(response, 'base64').toString()).toContain('EncryptedAssertion');
    const back = await throughConsent(browser, await postToAcs(browser, redirect, response));
    const tokens = await partner.callback(back.location!, pending);
    expect(tokens.claims()).toMatchObject({ idp: uni.entityId });
  });

  test('a transient NameID and nothing else: a page saying the institution sent no identifier', async () => {
    const browser = new Browser(porta.issuer);
    const redirect = await chooseInstitution(browser, await browser.go((await partner.authorize()).url), uni);
    const { requestId, sp } = await uni.receive(spMetadata, redirect);
    const page = await postToAcs(browser, redirect, await uni.respond(sp, requestId, { nameId: 'one-time-123', nameIdFormat: TRANSIENT, attributes: { [GIVEN]: ['Zoe'] } }));
    expect(alertText(page.body)).toBe('University of Example did not send an identifier for you, so we could not recognise you next time. Ask your institution to release a persistent identifier to this service, or choose another way to sign in.');
    expect(await porta.services.db('accounts').where({ given_name: 'Zoe' }).count({ n: '*' }).then((r) => Number(r[0]!.n))).toBe(0);
  });

  test('an identifier that is too long, or sent with several values, is refused with the no-identifier page (never a 500)', async () => {
    const subjectId = 'urn:oasis:names:tc:SAML:attribute:subject-id';
    for (const user of [
      person({ nameId: 'x'.repeat(600) }),
      { ...person(), attributes: { ...person().attributes, [subjectId]: ['one@uni.example', 'two@uni.example'] } },
    ]) {
      const browser = new Browser(porta.issuer);
      const redirect = await chooseInstitution(browser, await browser.go((await partner.authorize()).url), uni);
      const { requestId, sp } = await uni.receive(spMetadata, redirect);
      const page = await postToAcs(browser, redirect, await uni.respond(sp, requestId, user));
      expect(page.status).toBe(400);
      expect(alertText(page.body)).toContain('University of Example did not send an identifier for you');
    }
  });

  test('a home organisation that is not one of the institution\'s scopes is dropped', async () => {
    const user = person();
    user.attributes[SCHAC_HOME] = ['other.example'];
    const { browser, pending, done } = await federatedSignIn(partner, user);
    const tokens = await partner.callback((await throughConsent(browser, done)).location!, pending);
    const claims = await oidc.fetchUserInfo(partner.config, tokens.access_token, tokens.claims()!.sub);
    expect(claims.idp).toBe(uni.entityId);
    expect(claims.schac_home_organization).toBeUndefined();
  });

  test('the person cancels at the institution (AuthnFailed): the institution is named, in Italian for an Italian page', async () => {
    const browser = new Browser(porta.issuer);
    const pending = await partner.authorize({ ui_locales: 'it' });
    const loginPage = await browser.go(pending.url);
    expect(loginPage.body).toContain('Accedi con la tua istituzione');
    expect(loginPage.body).toContain('Università di Esempio');
    expect(loginPage.body).toContain('Un&#39;altra Università');
    const redirect = await chooseInstitution(browser, loginPage, uni);
    const { requestId, sp } = await uni.receive(spMetadata, redirect);
    const page = await postToAcs(browser, redirect, uni.failure(sp, requestId));
    expect(page.status).toBe(400);
    expect(page.body).toContain('<h1>L’accesso con la tua istituzione non è riuscito</h1>');
    expect(alertText(page.body)).toBe('Università di Esempio non ti ha fatto accedere: l’accesso è stato annullato o non è riuscito.');
    expect(page.body).toContain('Riprova');
    expect(page.body).toContain('Scegli un altro modo per accedere');
  });
});
