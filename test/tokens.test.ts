/**
 * Tokens as relying services see them: PKCE is required of every code-flow client (a legacy service can
 * be exempted), only a token's own client may introspect it, and a grant dies when the client's access
 * policy no longer lets the person in (access code withdrawn, policy tightened by CLI or clients file).
 */
import * as oidc from 'openid-client';
import { Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp, relyingParty, signInThrough, type Rp } from './helpers/rp.js';
import { run } from '../src/cli/run.js';
import { fromRoot } from '../src/paths.js';
import type { Account } from '../src/accounts/account.js';
import { AccessCodes, formatAccessCode } from '../src/flows/access-code.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let porta: TestPorta;
let admissions: Rp;
let grants: Rp;

beforeAll(async () => {
  porta = await startPorta();
  admissions = await fixtureRp(porta.issuer, 'admissions');
  grants = await fixtureRp(porta.issuer, 'grants');
});
afterAll(() => porta.stop());

/** `porta …` against the running server's database, with its clock. */
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const env = { DATABASE_URL: porta.databaseUrl, CLIENTS_FILE: fromRoot('test/fixtures/clients.json'), NODE_ENV: 'test', LOG_LEVEL: 'silent' };
  const code = await run(argv, { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, clock: porta.clock });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Signs in through the RP and exchanges the code: the RP's tokens. */
async function tokensFor(rp: Rp, account: Account, browser = new Browser(porta.issuer)) {
  const { pending, done } = await signInThrough(rp, browser, account.username!);
  expect(done.location).toMatch(new RegExp(`^${rp.redirectUri}\\?code=`));
  return rp.callback(done.location!, pending);
}

describe('PKCE', () => {
  /** An authorization request without code_challenge, as a legacy confidential service sends it. */
  const withoutPkce = (rp: Rp) => oidc.buildAuthorizationUrl(rp.config, { redirect_uri: rp.redirectUri, scope: 'openid', state: 'legacy-state' }).href;

  test('a confidential client without a code_challenge gets invalid_request back, not a sign-in page', async () => {
    const page = await new Browser(porta.issuer).go(withoutPkce(admissions));
    expect(page.status).toBe(303);
    const back = new URL(page.location!);
    expect(back.origin + back.pathname).toBe('http://rp.test/admissions/cb');
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(back.searchParams.get('state')).toBe('legacy-state');
  });

  test('a service registered with --pkce-optional signs people in without PKCE; --no-pkce-optional requires it again', async () => {
    const added = await cli('clients', 'add', '--id', 'legacy-erp', '--secret', 'legacy-erp-secret-0123456789abcdefghijkl',
      '--redirect-uri', 'http://rp.test/legacy/cb', '--first-party', '--pkce-optional');
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toBe('added client legacy-erp (confidential, first party, PKCE optional); it can sign people in now\n');
    const legacy = await relyingParty(porta.issuer, 'legacy-erp', 'legacy-erp-secret-0123456789abcdefghijkl', 'http://rp.test/legacy/cb');

    const account = await porta.createAccount();
    const browser = new Browser(porta.issuer);
    const login = await browser.go(withoutPkce(legacy));
    expect(login.status).toBe(200);
    const back = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    expect(back.location).toMatch(/^http:\/\/rp\.test\/legacy\/cb\?code=/);
    const tokens = await oidc.authorizationCodeGrant(legacy.config, new URL(back.location!), { expectedState: 'legacy-state', idTokenExpected: true });
    expect(tokens.claims()!.sub).toBe(account.id);

    expect((await cli('clients', 'update', '--id', 'legacy-erp', '--no-pkce-optional')).code).toBe(0);
    const refused = new URL((await new Browser(porta.issuer).go(withoutPkce(legacy))).location!);
    expect(refused.searchParams.get('error')).toBe('invalid_request');
  });

  test('a public client cannot be exempted', async () => {
    const r = await cli('clients', 'add', '--id', 'legacy-spa', '--public', '--redirect-uri', 'http://rp.test/spa/cb', '--pkce-optional');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('pkce_optional is for confidential clients only: a public client always needs PKCE');
  });
});

describe('introspection', () => {
  test('the token\'s own client sees it active; another confidential client is told active: false', async () => {
    const account = await porta.createAccount();
    const tokens = await tokensFor(admissions, account);

    const own = await oidc.tokenIntrospection(admissions.config, tokens.access_token);
    expect(own).toMatchObject({ active: true, client_id: 'admissions', sub: account.id });
    const ownRefresh = await oidc.tokenIntrospection(admissions.config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(ownRefresh).toMatchObject({ active: true, client_id: 'admissions' });

    // Another university service with valid credentials learns nothing about the token.
    expect(await oidc.tokenIntrospection(grants.config, tokens.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(grants.config, tokens.refresh_token!, { token_type_hint: 'refresh_token' })).toEqual({ active: false });
  });
});

describe('a grant the client policy no longer allows', () => {
  /** The refresh is refused with invalid_grant. */
  async function expectRefreshRefused(rp: Rp, refreshToken: string) {
    await expect(oidc.refreshTokenGrant(rp.config, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
  }

  test('revoking an access code signs the person out of the service: refresh token and access token stop working', async () => {
    const portal = await fixtureRp(porta.issuer, 'partner-portal');
    const account = await porta.createAccount();
    const { code } = await new AccessCodes(porta.services).issue(account, 'partner-portal');
    const browser = new Browser(porta.issuer);
    const pending = await portal.authorize({ scope: 'openid' });
    const codePage = await browser.submit(await browser.go(pending.url), /\/login$/, { login: account.username!, password: TEST_PASSWORD });
    const consent = await browser.submit(codePage, /\/access_code$/, { code: formatAccessCode(code) });
    const back = await browser.submit(consent, /\/confirm$/);
    const tokens = await portal.callback(back.location!, pending);
    const refreshed = await oidc.refreshTokenGrant(portal.config, tokens.refresh_token!);

    const revoked = await cli('access-codes', 'revoke', '--user', account.username!, '--client', 'partner-portal');
    expect(revoked).toEqual({ code: 0, stderr: '',
      stdout: `removed the access gained with an earlier code and signed the person out of the service (its refresh and access tokens no longer work) of ${account.username} for partner-portal; the next sign-in asks for a new code\n` });
    await expectRefreshRefused(portal, refreshed.refresh_token!);
    expect(await oidc.tokenIntrospection(portal.config, refreshed.access_token)).toEqual({ active: false });
  });

  test('narrowing a service\'s user types with the CLI ends the grants of the people it now excludes, and only theirs', async () => {
    const added = await cli('clients', 'add', '--id', 'lab-booking', '--secret', 'lab-booking-secret-0123456789abcdefghijk',
      '--redirect-uri', 'http://rp.test/lab/cb', '--first-party');
    expect(added.code).toBe(0);
    const lab = await relyingParty(porta.issuer, 'lab-booking', 'lab-booking-secret-0123456789abcdefghijk', 'http://rp.test/lab/cb');
    const student = await porta.createAccount();
    const guest = await porta.createAccount({ userType: 'external' });
    const studentTokens = await tokensFor(lab, student);
    const guestTokens = await tokensFor(lab, guest);

    const updated = await cli('clients', 'update', '--id', 'lab-booking', '--allowed-user-types', 'internal');
    expect(updated).toMatchObject({ code: 0, stderr: '' });
    expect(updated.stdout).toMatch(/; signed 1 person no longer allowed out of it \(their tokens no longer work\)\n$/);
    await expectRefreshRefused(lab, guestTokens.refresh_token!);
    expect(await oidc.tokenIntrospection(lab.config, guestTokens.access_token)).toEqual({ active: false });
    expect((await oidc.refreshTokenGrant(lab.config, studentTokens.refresh_token!)).access_token).toBeTruthy();
  });

  test('a policy tightened in the clients file stops refreshes after the restart', async () => {
    const account = await porta.createAccount({ userType: 'external' });
    const tokens = await tokensFor(admissions, account);
    const clients = (JSON.parse(readFileSync(fromRoot('test/fixtures/clients.json'), 'utf8')) as { client_id: string }[])
      .map((c) => (c.client_id === 'admissions' ? { ...c, allowed_user_types: ['internal'] } : c));
    const file = join(mkdtempSync(join(tmpdir(), 'porta-clients-')), 'clients.json');
    writeFileSync(file, JSON.stringify(clients));
    porta = await porta.restart({ clientsFile: file });
    admissions = await fixtureRp(porta.issuer, 'admissions');
    try {
      await expectRefreshRefused(admissions, tokens.refresh_token!);
    } finally {
      porta = await porta.restart({ clientsFile: fromRoot('test/fixtures/clients.json') });
      admissions = await fixtureRp(porta.issuer, 'admissions');
      grants = await fixtureRp(porta.issuer, 'grants');
    }
  });
});
