/** Config → oidc-provider: claims, lifetimes, features, cookies, consent rules and Porta's pages. */
import type { Context } from 'koa';
import type { Config } from '../config/schema.js';
import Provider, { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { logoutPage, loggedOutPage } from '../interactions/views/pages.js';
import { accountClaims, CLAIMS_BY_SCOPE } from './accounts/account.js';
import { FederatedAccounts } from './federation/accounts.js';
import { CLIENT_AUTH_METHODS, PORTA_CLIENT_METADATA, weakSecretProblem } from './clients.js';
import { lostConnectionMarker, oidcErrorMessage, renderDatabaseLost, renderErrorPage } from './http/errors.js';
import { acrFor, ACR_VALUES } from './mfa/assurance.js';
import { epochSeconds, type Clock } from './clock.js';
import { buildPolicy } from './policy/index.js';
import { policyAllows } from './policy/grants.js';
import { pageContext } from './http/context.js';
import type { Services } from './services.js';
import { adapterFactory } from './storage/oidc-adapter.js';
import { databaseUnavailable } from './storage/db.js';
import { LOCALES } from './i18n/index.js';
import { derivedKey } from './secrets.js';
import { createHmac } from 'node:crypto';

export function createProvider(s: Services, issuer: string, jwks: Configuration['jwks'], staticClients: ClientMetadata[]): Provider {
  const { config } = s;
  const asKoa = (ctx: KoaContextWithOIDC) => ctx as unknown as Context;
  const pairwiseKey = derivedKey(config.keysEncryptionSecret, 'pairwise-subject');
  const federated = new FederatedAccounts(s);

  const configuration: Configuration = {
    // Production never authenticates a database client with a secret the clients file would refuse.
    adapter: adapterFactory(s.db, s.clock, config.nodeEnv === 'production' ? (metadata) => weakSecretProblem(metadata.client_secret) : undefined),
    clients: staticClients,
    jwks,
    async findAccount(ctx, id, token) {
      const account = await s.accounts.findById(id);
      // A disabled or deleted account ends its sessions: oidc-provider treats a missing account as signed out.
      if (!account || account.status !== 'active') return undefined;
      // The refresh grant runs no interaction policy: re-check the client's (invalid_grant when it fails).
      if (token?.kind === 'RefreshToken' && ctx.oidc?.client && !(await policyAllows(s, account, ctx.oidc.client))) return undefined;
      // The person code is one identifier for every service: a pairwise client (which must not be able to
      // link a person across sectors) does not get it.
      const pairwise = ctx.oidc?.client?.subjectType === 'pairwise';
      // A federated account's profile is what its institution sent at the last sign-in (its address excepted).
      const fromInstitution = account.userType === 'federated' ? (await federated.profileClaims(id)) ?? {} : {};
      return { accountId: id, claims: () => ({ ...accountClaims(account), ...fromInstitution, ...(pairwise ? { person_code: undefined } : {}), sub: id }) };
    },
    // Stable for a person and a sector (restarts, key rotation), different across sectors, unguessable
    // without KEYS_ENCRYPTION_SECRET: HMAC with a key derived for this purpose only.
    pairwiseIdentifier: (_ctx, accountId, client) => createHmac('sha256', pairwiseKey).update(`${client.sectorIdentifier ?? ''}\n${accountId}`).digest('base64url'),
    subjectTypes: ['public', 'pairwise'],
    // OIDC Core 3.1.2.1: redirect_uri is required, even for a client with a single registered URI.
    allowOmittingSingleRegisteredRedirectUri: false,
    // What the operator offers (code by default, OAuth 2.0 Security BCP), and `none` for the personal area's sign-in.
    responseTypes: [...config.responseTypes, 'none'],
    // Each client authenticates with its registered method only (src/provider.ts registeredSecretMethodOnly).
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    // Request objects are signed with a client's own registered key, never with its shared secret.
    enabledJWA: { requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA'] },
    // acr_values_supported comes from `acrValues` when a sign-in policy sets it.
    discovery: { claim_types_supported: ['normal'], ui_locales_supported: [...LOCALES] },
    // How the person signed in (acr, amr, auth_time) goes in every ID token: services decide on it.
    claims: { ...Object.fromEntries(Object.entries(CLAIMS_BY_SCOPE).map(([scope, claims]) => [scope, [...claims]])), openid: [...CLAIMS_BY_SCOPE.openid, 'acr', 'amr', 'auth_time'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'phone', 'eduperson'],
    // idp_hint=<entityID>: straight to that institution (interactions/saml.ts).
    extraParams: ['idp_hint'],
    conformIdTokenClaims: true,
    // The REFEDS profiles: the session's acr (src/mfa/assurance.ts), listed in discovery as acr_values_supported.
    acrValues: [...ACR_VALUES],
    extraClientMetadata: { properties: [...PORTA_CLIENT_METADATA] },
    cookies: {
      keys: [...config.cookieKeys],
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    // S256 PKCE for every code flow; a legacy confidential service may be exempted (pkce_optional).
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' || client['pkce_optional'] !== true },
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      AuthorizationCode: config.authorizationCodeTtlSeconds,
      ClientCredentials: config.accessTokenTtlSeconds,
      IdToken: config.idTokenTtlSeconds,
      RefreshToken: config.refreshTokenTtlSeconds,
      Interaction: config.interactionTtlSeconds,
      Session: (_ctx, session) => sessionLifetimeSeconds(config, s.clock.now(), session.loginTs),
      Grant: config.refreshTokenTtlSeconds,
    },
    // A client that is allowed the refresh_token grant gets refresh tokens; no prompt=consent dance.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // oidc-provider refuses outgoing requests to private addresses (SSRF protection) unless the operator allows them.
    ...(config.outboundPrivateNetworks ? { fetch: (url: Parameters<typeof fetch>[0], options?: RequestInit) => fetch(url, { ...options, dispatcher: undefined } as RequestInit) } : {}),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: buildPolicy(s) },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      // PAR (RFC 9126): any client may push; `require_pushed_authorization_requests` in a client's metadata makes it the only way.
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      // JAR (RFC 9101): `request=` signed with the client's registered keys (jwks / jwks_uri); request_uri only from PAR.
      requestObjects: { enabled: true, requireSignedRequestObject: false },
      // DPoP (RFC 9449): sender-constrained tokens for clients that send proofs (`dpop_bound_access_tokens` makes
      // them required). Every proof must carry a server nonce, so a proof made in advance is useless; the nonce
      // key is shared by every instance through KEYS_ENCRYPTION_SECRET.
      dPoP: { enabled: true, nonceSecret: derivedKey(config.keysEncryptionSecret, 'dpop-nonce'), requireNonce: () => true, allowReplay: false },
      // Only the client a token was issued to may introspect it; any other caller is told `active: false`,
      // as for an unknown token. Tokens for an API (resource=) are JWTs the API verifies against /jwks itself.
      introspection: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      // APIs (RESOURCE_SERVERS): a token asked for with resource=<indicator> is an ES256 JWT the API verifies
      // against /jwks; without resource= the access token stays opaque, for userinfo.
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo(_ctx, indicator, client) {
          const api = Object.hasOwn(config.resourceServers, indicator) ? config.resourceServers[indicator] : undefined;
          if (!api || (api.clients && !api.clients.includes(client.clientId))) throw new errors.InvalidTarget();
          return { scope: api.scope, audience: api.audience ?? indicator, accessTokenTTL: config.accessTokenTtlSeconds, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
        },
      },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          const client = ctx.oidc.client;
          ctx.type = 'html';
          ctx.body = logoutPage(pageContext(asKoa(ctx), ctx.originalUrl), { form, clientName: client?.clientName ?? client?.clientId }).value;
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = loggedOutPage(pageContext(asKoa(ctx), '/')).value;
        },
      },
    },
    // First-party services are the university's own: the person is not asked to consent to them.
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session!.grantIdFor(client!.clientId);
      let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!client!['first_party']) return grant;
      grant ??= new ctx.oidc.provider.Grant({ clientId: client!.clientId, accountId: session!.accountId! });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      const claims = [...ctx.oidc.requestParamClaims];
      if (claims.length) grant.addOIDCClaims(claims);
      await grant.save();
      return grant;
    },
    async renderError(ctx, out, error) {
      if (databaseUnavailable(error)) return renderDatabaseLost(asKoa(ctx), error);
      const status = (error as { statusCode?: number }).statusCode ?? 400;
      if (status >= 500) asKoa(ctx).state.log.error({ err: error }, 'provider error');
      renderErrorPage(asKoa(ctx), status, status >= 500 ? asKoa(ctx).state.t('error.generic') : oidcErrorMessage(asKoa(ctx), { error: out.error, name: (error as Error).name }, config.helpdeskContact));
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.proxy = config.trustProxy;
  // X-Forwarded-For is appended to by each proxy, and everything left of our proxies' entries is written
  // by the client: the client address is the one TRUST_PROXY_HOPS from the right.
  provider.maxIpsCount = config.trustProxyHops;
  pinPublicOrigin(provider, issuer);
  registeredSecretMethodOnly(provider);
  // oidc-provider emits server_error for failures it caught; log them with their cause.
  provider.on('server_error', (ctx: Context, err: Error) => {
    if (databaseUnavailable(err) && ctx.state) {
      (ctx.state as unknown as Record<symbol, unknown>)[lostConnectionMarker] = true; // answered 503 by databaseLostAnswers
      (ctx.state.log ?? s.logger).warn({ err }, 'database unavailable for the request');
      return;
    }
    (ctx.state?.log ?? s.logger).error({ err }, 'provider server_error');
  });
  return provider;
}

/**
 * How long a session lives from now, set again each time it is used (oidc-provider saves the session on
 * every authorization request that finds it; the personal area touches it too): the idle timeout, but
 * never past the absolute lifetime counted from the sign-in.
 */
export function sessionLifetimeSeconds(config: Pick<Config, 'sessionTtlSeconds' | 'sessionIdleTimeoutMinutes'>, now: number, loginTs: number | undefined): number {
  const left = loginTs ? loginTs + config.sessionTtlSeconds - Math.floor(now / 1000) : config.sessionTtlSeconds;
  const idle = config.sessionIdleTimeoutMinutes * 60 || Infinity;
  return Math.max(1, Math.min(idle, left));
}

/**
 * The `login` result every sign-in step finishes with: the session's amr and its acr; the sign-in time
 * on Porta's clock (a step-up keeps the original one); `remember: false`, so the SSO cookie is a
 * browser-session cookie (README, "Sessions").
 */
export function loginResult(clock: Clock, accountId: string, amr: string[], loginTs?: number | null) {
  return { accountId, amr, acr: acrFor(amr), ts: loginTs ?? epochSeconds(clock), remember: false };
}

/**
 * oidc-provider takes a client secret by either mechanism (Authorization: Basic or client_secret in the
 * body) whichever of the two the client registered; Porta takes it only by the registered one.
 */
function registeredSecretMethodOnly(provider: Provider): void {
  const Client = provider.Client as unknown as { prototype: { clientAuthMethod: string; compareClientSecret(secret: string): Promise<boolean> } };
  const compare = Client.prototype.compareClientSecret;
  Client.prototype.compareClientSecret = function (secret) {
    const used = Provider.ctx?.headers.authorization ? 'client_secret_basic' : 'client_secret_post';
    if (used !== this.clientAuthMethod) throw new errors.InvalidClientAuth(`this client authenticates with ${this.clientAuthMethod}, not ${used}`);
    return compare.call(this, secret);
  };
}

/**
 * Every absolute URL Porta and oidc-provider build (discovery, endpoints, redirects) comes from the
 * issuer, never from the Host or X-Forwarded-Host header a client (or a proxy passing it on) chose: a
 * forged Host could otherwise publish another server's endpoints into a shared cache. The scheme for
 * cookies and HSTS (`ctx.secure`) still follows the connection, or X-Forwarded-Proto behind a trusted proxy.
 */
function pinPublicOrigin(provider: Provider, issuer: string): void {
  const { host, hostname, origin } = new URL(issuer);
  Object.defineProperties(provider.request, {
    host: { get: () => host },
    hostname: { get: () => hostname },
    href: {
      get(this: { originalUrl: string }) {
        // originalUrl may be absolute-form (`GET http://elsewhere/…`): keep only its path and query.
        const { pathname, search } = new URL(this.originalUrl, origin);
        return `${origin}${pathname}${search}`;
      },
    },
  });
}
