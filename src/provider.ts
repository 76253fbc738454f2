/** Config → oidc-provider: claims, lifetimes, features, cookies, consent rules and Porta's pages. */
import type { Context } from 'koa';
import type { Config } from '../config/schema.js';
import Provider, { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { logoutPage, loggedOutPage } from '../interactions/views/pages.js';
import { accountClaims, CLAIMS_BY_SCOPE } from './accounts/account.js';
import { PORTA_CLIENT_METADATA, weakSecretProblem } from './clients.js';
import { oidcErrorMessage, renderErrorPage } from './http/errors.js';
import { buildPolicy } from './policy/index.js';
import { policyAllows } from './policy/grants.js';
import { pageContext } from './http/context.js';
import type { Services } from './services.js';
import { adapterFactory } from './storage/oidc-adapter.js';

export function createProvider(s: Services, issuer: string, jwks: Configuration['jwks'], staticClients: ClientMetadata[]): Provider {
  const { config } = s;
  const asKoa = (ctx: KoaContextWithOIDC) => ctx as unknown as Context;

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
      return { accountId: id, claims: () => ({ ...accountClaims(account), sub: id }) };
    },
    claims: Object.fromEntries(Object.entries(CLAIMS_BY_SCOPE).map(([scope, claims]) => [scope, [...claims]])),
    scopes: ['openid', 'offline_access', 'profile', 'email', 'phone'],
    conformIdTokenClaims: true,
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
  // oidc-provider emits server_error for failures it caught; log them with their cause.
  provider.on('server_error', (ctx: Context, err: Error) => (ctx.state?.log ?? s.logger).error({ err }, 'provider server_error'));
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
