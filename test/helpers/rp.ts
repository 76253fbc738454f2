/** A relying service played by the real openid-client library. */
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { fromRoot } from '../../src/paths.js';
import type { Browser, Page } from './browser.js';
import { TEST_PASSWORD } from './porta.js';

export interface Rp {
  config: oidc.Configuration;
  redirectUri: string;
  /** Starts an authorization request; returns its URL and what the callback must check. */
  authorize(params?: Record<string, string>): Promise<{ url: string; verifier: string; state: string; nonce: string }>;
  /** Exchanges the code in the callback URL. */
  callback(callbackUrl: string, pending: { verifier: string; state: string; nonce: string }): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers>;
}

/** `clientAuth`: how the client authenticates (by default client_secret_basic with a secret, none without, as registered by default). */
export async function relyingParty(issuer: string, clientId: string, secret: string | undefined, redirectUri: string, clientAuth?: oidc.ClientAuth): Promise<Rp> {
  const auth = clientAuth ?? (secret ? oidc.ClientSecretBasic(secret) : oidc.None());
  const config = await oidc.discovery(new URL(issuer), clientId, secret, auth, { execute: [oidc.allowInsecureRequests] });
  return {
    config,
    redirectUri,
    async authorize(params = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope: 'openid', state, nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        ...params,
      });
      return { url: url.href, verifier, state, nonce };
    },
    async callback(callbackUrl, pending) {
      return oidc.authorizationCodeGrant(config, new URL(callbackUrl), {
        pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
      });
    },
  };
}

/** The clients file the test server loads (test/helpers/porta.ts testConfig). */
const FIXTURE_CLIENTS = JSON.parse(readFileSync(fromRoot('test/fixtures/clients.json'), 'utf8')) as { client_id: string; client_secret?: string; redirect_uris: string[] }[];

/** A service of test/fixtures/clients.json by its id, with the secret and first redirect URI written there. */
export function fixtureRp(issuer: string, clientId: string): Promise<Rp> {
  const client = FIXTURE_CLIENTS.find((c) => c.client_id === clientId);
  if (!client) throw new Error(`no client ${clientId} in test/fixtures/clients.json`);
  return relyingParty(issuer, clientId, client.client_secret, client.redirect_uris[0]!);
}

/**
 * Authorize → the sign-in page → its form posted with `login` and `password`: `done` is where the browser
 * ends (the redirect back to the service with a code, or a Porta page), `pending` what the callback checks.
 */
export async function signInThrough(rp: Rp, browser: Browser, login: string, password = TEST_PASSWORD, params: Record<string, string> = {}): Promise<{ pending: Awaited<ReturnType<Rp['authorize']>>; signInPage: Page; done: Page }> {
  const pending = await rp.authorize(params);
  const signInPage = await browser.go(pending.url);
  const done = await browser.submit(signInPage, /\/login$/, { login, password });
  return { pending, signInPage, done };
}
