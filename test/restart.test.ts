/** What survives a restart on the same database file: sessions, refresh tokens, signing keys; and key rotation. */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { keyRetentionMs } from '../src/services.js';
import { Browser } from './helpers/browser.js';
import { startPorta, TEST_PASSWORD, type TestPorta } from './helpers/porta.js';
import { fixtureRp } from './helpers/rp.js';

let porta: TestPorta;
afterEach(() => porta.stop());

async function jwks(p: TestPorta): Promise<JSONWebKeySet> {
  return (await fetch(`${p.issuer}/jwks`)).json() as Promise<JSONWebKeySet>;
}

async function signIn(p: TestPorta, browser: Browser, login: string) {
  const rp = await fixtureRp(p.issuer, 'admissions');
  const pending = await rp.authorize();
  let page = await browser.go(pending.url);
  if (page.status === 200) page = await browser.submit(page, /\/login$/, { login, password: TEST_PASSWORD });
  return { rp, tokens: await rp.callback(page.location!, pending) };
}

type IdTokens = { id_token?: string };

/**
 * After a rotation: `after` is signed by one of the `created` keys, not the old one, and both ID tokens
 * verify against the published /jwks (the retired key stays published). Returns the new key's id.
 */
async function expectNewKeySigns(p: TestPorta, created: string[], before: IdTokens, after: IdTokens): Promise<string | undefined> {
  const oldKid = decodeProtectedHeader(before.id_token!).kid;
  const newKid = decodeProtectedHeader(after.id_token!).kid;
  expect(created).toContain(newKid);
  expect(newKid).not.toBe(oldKid);
  const published = createLocalJWKSet(await jwks(p));
  await expect(jwtVerify(before.id_token!, published, { issuer: p.issuer })).resolves.toBeDefined();
  await expect(jwtVerify(after.id_token!, published, { issuer: p.issuer })).resolves.toBeDefined();
  return newKid;
}

test('sessions, refresh tokens and signing keys survive a restart', async () => {
  porta = await startPorta();
  const account = await porta.createAccount();
  const browser = new Browser(porta.issuer);
  const { tokens } = await signIn(porta, browser, account.username!);
  const keysBefore = await jwks(porta);

  porta = await porta.restart();
  expect(await jwks(porta)).toEqual(keysBefore);
  // The browser's session still signs it in without a password.
  const rp = await fixtureRp(porta.issuer, 'admissions');
  const pending = await rp.authorize();
  const sso = await browser.go(pending.url);
  expect(sso.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
  // The refresh token issued before the restart still works.
  const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
  expect(refreshed.claims()!.sub).toBe(account.id);
});

test('keys rotated elsewhere (the CLI, another instance) sign here from the next key refresh, without a restart', async () => {
  porta = await startPorta();
  const account = await porta.createAccount();
  const browser = new Browser(porta.issuer);
  const { rp, tokens: before } = await signIn(porta, browser, account.username!);
  expect(await porta.refreshKeys()).toBe(false);

  const created = await porta.services.keys.rotate();
  expect(await porta.refreshKeys()).toBe(true);
  // The session from before the reload still signs the person in, and the new key signs the ID token.
  const pending = await rp.authorize();
  const sso = await browser.go(pending.url);
  expect(sso.location).toMatch(/^http:\/\/rp\.test\/admissions\/cb\?code=/);
  await expectNewKeySigns(porta, created, before, await rp.callback(sso.location!, pending));
});

test('keys rotate: new tokens use the new key, old tokens stay verifiable until they expire', async () => {
  porta = await startPorta();
  const account = await porta.createAccount();
  const { tokens: before } = await signIn(porta, new Browser(porta.issuer), account.username!);
  const oldKid = decodeProtectedHeader(before.id_token!).kid;

  const created = await porta.services.keys.rotate();
  porta = await porta.restart();

  const { tokens: after } = await signIn(porta, new Browser(porta.issuer), account.username!);
  const newKid = await expectNewKeySigns(porta, created, before, after);
  expect((await porta.services.keys.list()).filter((k) => k.state === 'retired').map((k) => k.kid)).toContain(oldKid);

  // Once every token the old key signed has expired, the key is dropped.
  porta.clock.advance(keyRetentionMs(porta.services.config) + 1000);
  await porta.sweep();
  porta = await porta.restart();
  const kids = (await jwks(porta)).keys.map((k) => k.kid);
  expect(kids).toContain(newKid);
  expect(kids).not.toContain(oldKid);
});
