// A relying service signing people in through Porta with openid-client 6 (npm install openid-client).
import * as client from 'openid-client';

/** Once, at start: Porta's endpoints and keys, from its discovery document. */
export function connect(issuer: string, clientId: string, clientSecret: string, options?: client.DiscoveryRequestOptions) {
  return client.discovery(new URL(issuer), clientId, clientSecret, client.ClientSecretBasic(clientSecret), options);
}

/** Step 1: send the browser to `url`; keep `pending` in the person's session (a signed cookie, say). */
export async function startSignIn(config: client.Configuration, redirectUri: string) {
  const pending = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid profile email', state: pending.state, nonce: pending.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(pending.verifier), code_challenge_method: 'S256',
  });
  return { url, pending };
}

/** Step 2, at the redirect URI: exchange the code; the ID token says who signed in, userinfo the rest. */
export async function finishSignIn(config: client.Configuration, callbackUrl: URL, pending: { verifier: string; state: string; nonce: string }) {
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
  });
  const claims = tokens.claims()!;
  const profile = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  return { claims, profile, refreshToken: tokens.refresh_token };
}
