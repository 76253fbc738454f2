/**
 * The Koa application. oidc-provider 9's Provider *is* a Koa app; Porta's middleware and routes are
 * placed in front of its protocol routes with provider.use(), so one app serves both.
 */
import type { ClientMetadata, Configuration } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type Router from '@koa/router';
import compose from 'koa-compose';
import type { Middleware } from 'koa';
import { emailVerifyRoutes } from '../interactions/access.js';
import { accountClient, accountRoutes } from '../interactions/account.js';
import { accountTwoFactorRoutes } from '../interactions/account-two-factor.js';
import { devClient, devRoutes } from '../interactions/dev.js';
import { promptRouters } from '../interactions/prompts.js';
import { publicRoutes } from '../interactions/public.js';
import { recoveryRoutes } from '../interactions/recovery.js';
import { registrationRoutes } from '../interactions/registration.js';
import { samlRoutes } from '../interactions/saml.js';
import { signinRoutes } from '../interactions/signin.js';
import { requestContext } from './http/context.js';
import { requestLogger } from './logger.js';
import { databaseLostAnswers, errorHandler } from './http/errors.js';
import { tokenEndpointLimit } from './http/rate-limit.js';
import { interactionLocale, postedRequestsAsGet } from './http/protocol-requests.js';
import { publicMetadataCaching, securityHeaders } from './http/security.js';
import { Authenticator } from './accounts/authenticate.js';
import { Registration } from './flows/registration.js';
import { createProvider } from './provider.js';
import type { Services } from './services.js';

export interface App {
  provider: Provider;
  registration: Registration;
}

export function createApp(s: Services, issuer: string, jwks: Configuration['jwks'], clients: ClientMetadata[]): App {
  // Porta's own personal area is a first-party client too (interactions/account.ts).
  const development = s.config.nodeEnv === 'development';
  const provider = createProvider(s, issuer, jwks, [...clients, accountClient(issuer), ...(development ? [devClient(issuer)] : [])]);
  const registration = new Registration(s, issuer);
  const auth = new Authenticator(s, issuer);
  // Services with a home page (client_uri), listed after activation for people who came without one.
  const serviceLinks = clients.filter((c) => typeof c.client_uri === 'string').map((c) => ({ name: String(c.client_name ?? c.client_id), url: String(c.client_uri) }));
  // First, so its histogram covers everything after it; /metrics only when a token is configured.
  provider.use(s.metrics.middleware());
  if (s.config.metricsToken) provider.use(s.metrics.tokenEndpoint(s.config.metricsToken));
  provider.use(requestContext({ logger: s.logger, requestLog: requestLogger(s.logger), defaultLocale: s.config.defaultLocale }));
  provider.use(securityHeaders);
  provider.use(publicMetadataCaching);
  provider.use(errorHandler(s.config.helpdeskContact));
  provider.use(databaseLostAnswers);
  provider.use(postedRequestsAsGet(['/auth', '/session/end']));
  provider.use(interactionLocale(provider));
  const perMinute = s.config.tokenRequestsPerIpPerMinute;
  provider.use(tokenEndpointLimit(perMinute ? s.rateLimits.limiter('token-ip', perMinute, 60) : undefined));
  const prompts = promptRouters(provider, s, auth);
  const saml = samlRoutes(provider, s, issuer, auth);
  const routers = [
    publicRoutes(s), signinRoutes(provider, s, prompts, auth, saml.federated), ...prompts.values(), registrationRoutes(provider, s, registration, serviceLinks),
    recoveryRoutes(provider, s), accountRoutes(provider, s), accountTwoFactorRoutes(provider, s, auth, { passkeys: true }), emailVerifyRoutes(s), saml.router,
    ...(development ? [devRoutes(issuer)] : []),
  ];
  provider.use(pagesOnly(routers));
  return { provider, registration };
}

/**
 * Porta's routers, run only for paths under their own first segments (/interaction, /register,
 * /account…): the protocol endpoints, most of the traffic, skip sixteen route-matching middlewares.
 */
function pagesOnly(routers: Router[]): Middleware {
  const pages = compose(routers.flatMap((r) => [r.routes(), r.allowedMethods()]) as Middleware[]);
  const firstSegment = (path: string) => {
    const end = path.indexOf('/', 1);
    return path.slice(1, end === -1 ? undefined : end);
  };
  const segments = new Set(routers.flatMap((r) => r.stack.map((layer) => {
    if (typeof layer.path !== 'string') throw new Error('Porta routes are declared with string paths');
    return firstSegment(layer.path);
  })));
  return (ctx, next) => (segments.has(firstSegment(ctx.path)) ? pages(ctx, next) : next());
}
