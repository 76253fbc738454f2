/** A relying service played by the real openid-client library. */
import * as oidc from 'openid-client';

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
