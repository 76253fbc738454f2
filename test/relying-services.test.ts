/**
 * The protocol features relying services use, with openid-client as the service: pushed and signed
 * authorization requests with DPoP-bound tokens, pairwise subjects, the claims parameter, refresh-token
 * rotation for public clients, and the authentication method each client registered. The services are
 * registered with `porta clients add`, as an operator would.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import * as oidc from 'openid-client';
import { Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { relyingParty, type Rp } from './helpers/rp.js';
import type { Account } from '../src/accounts/account.js';
import { loadClientsFile } from '../src/clients.js';
import { ConfigError } from '../config/load.js';
import { connect, finishSignIn, startSignIn } from '../examples/relying-service.js';

let porta: TestPorta;
const dir = mkdtempSync(join(tmpdir(), 'porta-rp-'));

beforeAll(async () => {
  porta = await startPorta();
});
afterAll(() => porta.stop());

async function addClient(...argv: string[]) {
  const added = await porta.cli('clients', 'add', '--first-party', '--json', ...argv);
  expect(added).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(added.stdout) as { client_id: string; client_secret?: string };
}

/** Signs in at the authorization URL and returns the callback URL the service receives. */
async function signIn(url: string, account: Account, browser = new Browser(porta.issuer)): Promise<string> {
  const login = await browser.go(url);
  const back = await browser.submit(login, /\/login$/, { login: account.username!, password: TEST_PASSWORD });
  expect(back.location).toMatch(/\?code=/);
  return back.location!;
}

async function tokensFor(rp: Rp, account: Account, params: Record<string, string> = {}) {
  const pending = await rp.authorize(params);
  return rp.callback(await signIn(pending.url, account), pending);
}

describe('PAR + JAR + DPoP (a service with its own keys, private_key_jwt)', () => {
  let key: { key: CryptoKey; kid: string };
  let config: oidc.Configuration;
  const redirectUri = 'http://rp.test/research/cb';

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(pair.publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    key = { key: pair.privateKey, kid };
    const jwksFile = join(dir, 'research.jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] }));
    await addClient('--id', 'research', '--redirect-uri', redirectUri, '--token-endpoint-auth-method', 'private_key_jwt',
      '--jwks-file', jwksFile, '--require-par', '--require-dpop');
    config = await oidc.discovery(new URL(porta.issuer), 'research', undefined, oidc.PrivateKeyJwt(key), { execute: [oidc.allowInsecureRequests] });
  });

  test('a signed request object pushed with a DPoP proof signs the person in; the tokens are DPoP-bound and work with proofs', async () => {
    const account = await porta.createAccount();
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const signed = await oidc.buildAuthorizationUrlWithJAR(config, {
      redirect_uri: redirectUri, scope: 'openid email', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }, key);
    expect(signed.searchParams.has('request')).toBe(true);
    const url = await oidc.buildAuthorizationUrlWithPAR(config, signed.searchParams, { DPoP });
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);

    const callback = await signIn(url.href, account);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    expect(tokens.claims()!.sub).toBe(account.id);
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, account.id, { DPoP });
    expect(userinfo).toMatchObject({ sub: account.id, email: account.email });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type).toBe('dpop');
  });

  test('without PAR its authorization request is refused', async () => {
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', state: 'plain', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
    const back = new URL((await new Browser(porta.issuer).go(url.href)).location!);
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toBe('Pushed Authorization Request must be used');
  });

  test('a request_uri that did not come from PAR is refused', async () => {
    const url = `${porta.issuer}/auth?client_id=research&request_uri=${encodeURIComponent('https://rp.test/request.jwt')}`;
    const page = await new Browser(porta.issuer).go(url);
    expect(page.status).toBe(400);
    expect(page.body).toContain('(request_uri_not_supported)');
  });

  describe('a DPoP-bound access token', () => {
    let accessToken: string;
    let keyPair: Awaited<ReturnType<typeof oidc.randomDPoPKeyPair>>;

    beforeAll(async () => {
      keyPair = await oidc.randomDPoPKeyPair();
      const DPoP = oidc.getDPoPHandle(config, keyPair);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = await oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: redirectUri, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }, { DPoP });
      const tokens = await oidc.authorizationCodeGrant(config, new URL(await signIn(url.href, await porta.createAccount())), { pkceCodeVerifier: verifier }, undefined, { DPoP });
      accessToken = tokens.access_token;
    });

    /** A DPoP proof for GET /me, made with jose as a service's DPoP library would. */
    async function proof(nonce?: string) {
      const jwk = await exportJWK(keyPair.publicKey);
      const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))).toString('base64url');
      return new SignJWT({ htm: 'GET', htu: `${porta.issuer}/me`, ath, ...(nonce ? { nonce } : {}) })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).setIssuedAt(Math.floor(Date.now() / 1000)).setJti(crypto.randomUUID()).sign(keyPair.privateKey);
    }
    const userinfo = (headers: Record<string, string>) => fetch(`${porta.issuer}/me`, { headers });

    test('is refused as a bearer token, and without its proof', async () => {
      const bearer = await userinfo({ authorization: `Bearer ${accessToken}` });
      expect(bearer.status).toBe(401);
      expect(bearer.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      const noProof = await userinfo({ authorization: `DPoP ${accessToken}` });
      expect(noProof.status).toBe(400);
      expect(noProof.headers.get('www-authenticate')).toMatch(/error="invalid_request", error_description="`DPoP` header not provided"/);
    });

    test('a proof without the server nonce is told to use one; a replayed proof is refused', async () => {
      const first = await userinfo({ authorization: `DPoP ${accessToken}`, dpop: await proof() });
      expect(first.status).toBe(401);
      expect(first.headers.get('www-authenticate')).toMatch(/error="use_dpop_nonce"/);
      const nonce = first.headers.get('dpop-nonce')!;
      const good = await proof(nonce);
      expect((await userinfo({ authorization: `DPoP ${accessToken}`, dpop: good })).status).toBe(200);
      const replayed = await userinfo({ authorization: `DPoP ${accessToken}`, dpop: good });
      expect(replayed.status).toBe(401);
      expect(replayed.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      // The token itself still works, with a fresh proof.
      expect((await userinfo({ authorization: `DPoP ${accessToken}`, dpop: await proof(nonce) })).status).toBe(200);
    });
  });
});

describe('pairwise subjects', () => {
  let history: Rp;
  let library: Rp;
  const account = () => porta.createAccount();

  beforeAll(async () => {
    const a = await addClient('--id', 'history-dept', '--redirect-uri', 'http://history.rp.test/cb', '--subject-type', 'pairwise');
    const b = await addClient('--id', 'partner-library', '--redirect-uri', 'http://library.partner.test/cb', '--subject-type', 'pairwise');
    history = await relyingParty(porta.issuer, 'history-dept', a.client_secret, 'http://history.rp.test/cb');
    library = await relyingParty(porta.issuer, 'partner-library', b.client_secret, 'http://library.partner.test/cb');
  });

  test('two sectors get different subjects; userinfo agrees with the ID token; no person code', async () => {
    const person = await account();
    const one = await tokensFor(history, person);
    const two = await tokensFor(library, person);
    const sub = one.claims()!.sub;
    expect(sub).not.toBe(person.id);
    expect(two.claims()!.sub).not.toBe(sub);
    expect(one.claims()!.person_code).toBeUndefined();
    expect((await oidc.fetchUserInfo(history.config, one.access_token, sub)).sub).toBe(sub);
    expect(history.config.serverMetadata().subject_types_supported).toEqual(['public', 'pairwise']);
  });

  test('the same service gets the same subject after a key rotation and a restart', async () => {
    const person = await account();
    const before = await tokensFor(history, person);
    expect((await porta.cli('keys', 'rotate')).code).toBe(0);
    porta = await porta.restart();
    const after = await tokensFor(history, person);
    expect(decodeProtectedHeader(after.id_token!).kid).not.toBe(decodeProtectedHeader(before.id_token!).kid);
    expect(after.claims()!.sub).toBe(before.claims()!.sub);
  });
});

test('claims={"id_token":{"email":{"essential":true}}} puts email in the ID token', async () => {
  const admissions = await relyingParty(porta.issuer, 'admissions', 'test-admissions-secret-0123456789abcdef', 'http://rp.test/admissions/cb');
  const person = await porta.createAccount();
  expect((await tokensFor(admissions, person)).claims()!.email).toBeUndefined();
  const tokens = await tokensFor(admissions, person, { claims: JSON.stringify({ id_token: { email: { essential: true } } }) });
  expect(tokens.claims()!.email).toBe(person.email);
  expect(admissions.config.serverMetadata().claims_parameter_supported).toBe(true);
});

test('a public client\'s refresh token is rotated; using an old one again ends the grant (reuse detection)', async () => {
  await addClient('--id', 'mobile-app', '--public', '--redirect-uri', 'http://rp.test/mobile/cb');
  const mobile = await relyingParty(porta.issuer, 'mobile-app', undefined, 'http://rp.test/mobile/cb');
  const first = await tokensFor(mobile, await porta.createAccount());
  const second = await oidc.refreshTokenGrant(mobile.config, first.refresh_token!);
  expect(second.refresh_token).not.toBe(first.refresh_token);
  await expect(oidc.refreshTokenGrant(mobile.config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  // The thief and the owner cannot tell who replayed: the newest token dies too.
  await expect(oidc.refreshTokenGrant(mobile.config, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  // Another client cannot use a refresh token issued to this one.
  const other = await tokensFor(mobile, await porta.createAccount());
  const admissions = await relyingParty(porta.issuer, 'admissions', 'test-admissions-secret-0123456789abcdef', 'http://rp.test/admissions/cb');
  await expect(oidc.refreshTokenGrant(admissions.config, other.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
});

test('a client_secret_post service authenticates with its secret in the body, and not with Basic', async () => {
  const { client_secret: secret } = await addClient('--id', 'timetable', '--redirect-uri', 'http://rp.test/timetable/cb', '--token-endpoint-auth-method', 'client_secret_post');
  const person = await porta.createAccount();
  const post = await relyingParty(porta.issuer, 'timetable', secret, 'http://rp.test/timetable/cb', oidc.ClientSecretPost(secret));
  expect((await tokensFor(post, person)).claims()!.sub).toBe(person.id);
  const basic = await relyingParty(porta.issuer, 'timetable', secret, 'http://rp.test/timetable/cb', oidc.ClientSecretBasic(secret));
  const refused = await tokensFor(basic, person).catch((err: unknown) => err as oidc.WWWAuthenticateChallengeError);
  expect(refused).toMatchObject({ status: 401, cause: [{ parameters: { error: 'invalid_client', error_description: 'client authentication failed' } }] });
});

describe('porta clients add|update: protocol options, checked like the clients file', () => {
  const refused = async (argv: string[], message: string) => {
    const r = await porta.cli(...argv);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`porta: ${message}\n`);
  };
  const add = (id: string, ...argv: string[]) => ['clients', 'add', '--id', id, '--redirect-uri', `http://rp.test/${id}/cb`, ...argv];

  test('bad values exit 2 with one line, and nothing is stored', async () => {
    await refused(add('x1', '--token-endpoint-auth-method', 'client_secret_jwt'), '--token-endpoint-auth-method must be one of client_secret_basic, client_secret_post, private_key_jwt, none (got "client_secret_jwt")');
    await refused(add('x2', '--token-endpoint-auth-method', 'private_key_jwt'), "invalid client: private_key_jwt needs the client's public keys: jwks or jwks_uri");
    await refused(add('x3', '--public', '--token-endpoint-auth-method', 'client_secret_post'), '--public means --token-endpoint-auth-method none; give one of them');
    await refused(add('x4', '--token-endpoint-auth-method', 'private_key_jwt', '--jwks-uri', 'https://rp.test/jwks', '--secret', 's'), 'a private_key_jwt client has no secret; drop --secret');
    await refused(add('x5', '--grant-type', 'password'), '--grant-type must be one of authorization_code, refresh_token, client_credentials, implicit (got "password")');
    await refused(add('x6', '--subject-type', 'secret'), '--subject-type must be one of public, pairwise (got "secret")');
    // RESPONSE_TYPES offers only code (and none) here.
    await refused(add('x7', '--response-type', 'code id_token'), 'invalid client: response_types can only contain \'code\' or \'none\'');
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwks = join(dir, 'private.jwks.json');
    writeFileSync(privateJwks, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
    await refused(add('x8', '--token-endpoint-auth-method', 'private_key_jwt', '--jwks-file', privateJwks), 'invalid client: jwks must hold only public keys (a private or symmetric key belongs with the service, not with Porta)');
    const missing = join(dir, 'missing.json');
    await refused(add('x9', '--jwks-file', missing), `--jwks-file: cannot read ${missing}: ENOENT: no such file or directory, open '${missing}'`);
    const stored = (await porta.services.db('clients').whereLike('client_id', 'x%').select('client_id')) as unknown[];
    expect(stored).toEqual([]);
  });

  test('a client_credentials-only service needs no redirect URI and gets tokens for itself', async () => {
    const { client_secret: secret } = await addClient('--id', 'batch-export', '--grant-type', 'client_credentials');
    const batch = await oidc.discovery(new URL(porta.issuer), 'batch-export', undefined, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
    expect((await oidc.clientCredentialsGrant(batch)).token_type).toBe('bearer');
    const shown = await porta.cli('clients', 'show', '--id', 'batch-export');
    expect(shown.stdout).toMatch(/^grant types\s+client_credentials$/m);
    expect(shown.stdout).toMatch(/^response types\s+-$/m);
  });

  test('update changes the method: to a secret method prints a new secret once, away from one drops it', async () => {
    await addClient('--id', 'kiosk-app', '--public', '--redirect-uri', 'http://rp.test/kiosk/cb');
    const toSecret = await porta.cli('clients', 'update', '--id', 'kiosk-app', '--token-endpoint-auth-method', 'client_secret_post', '--backchannel-logout-uri', 'http://rp.test/kiosk/logout');
    expect(toSecret.code).toBe(0);
    const secret = /shown only now; store it in the service's configuration\):\n(\S+)\n$/.exec(toSecret.stdout)![1]!;
    const shown = await porta.cli('clients', 'show', '--id', 'kiosk-app', '--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ type: 'confidential', token_endpoint_auth_method: 'client_secret_post', backchannel_logout_uri: 'http://rp.test/kiosk/logout' });
    expect(shown.stdout).not.toContain(secret);
    expect((await porta.cli('clients', 'update', '--id', 'kiosk-app', '--token-endpoint-auth-method', 'private_key_jwt', '--jwks-uri', 'https://rp.test/kiosk/jwks')).code).toBe(0);
    const row = (await porta.services.db('clients').where({ client_id: 'kiosk-app' }).first('metadata')) as { metadata: string };
    expect(JSON.parse(row.metadata)).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://rp.test/kiosk/jwks' });
    expect(JSON.parse(row.metadata)).not.toHaveProperty('client_secret');
  });
});

test('the clients file is held to the same rules', () => {
  const file = join(dir, 'clients.json');
  writeFileSync(file, JSON.stringify([
    { client_id: 'a', redirect_uris: ['http://rp.test/a'], token_endpoint_auth_method: 'client_secret_jwt', client_secret: 's' },
    { client_id: 'b', redirect_uris: ['http://rp.test/b'], token_endpoint_auth_method: 'none', client_secret: 's' },
    { client_id: 'c', grant_types: ['client_credentials'], client_secret: 's' },
  ]));
  expect(() => loadClientsFile(file, false)).toThrow(new ConfigError([
    `CLIENTS_FILE: ${file} client #1 (a): token_endpoint_auth_method must be one of client_secret_basic, client_secret_post, private_key_jwt, none`,
    `CLIENTS_FILE: ${file} client #2 (b): a public client (token_endpoint_auth_method none) has no client_secret`,
  ]));
});

test('the README\'s openid-client example (examples/relying-service.ts) signs a person in', async () => {
  const example = readFileSync(new URL('../examples/relying-service.ts', import.meta.url), 'utf8');
  expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain(`\`\`\`ts\n${example}\`\`\``);
  const config = await connect(porta.issuer, 'admissions', 'test-admissions-secret-0123456789abcdef', { execute: [oidc.allowInsecureRequests] });
  const person = await porta.createAccount();
  const { url, pending } = await startSignIn(config, 'http://rp.test/admissions/cb');
  const { claims, profile, refreshToken } = await finishSignIn(config, new URL(await signIn(url.href, person)), pending);
  expect(claims).toMatchObject({ sub: person.id, person_code: person.personCode, user_type: 'internal' });
  expect(profile).toMatchObject({ sub: person.id, email: person.email, given_name: 'Maria' });
  expect(refreshToken).toEqual(expect.any(String));
});
