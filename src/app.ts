/**
 * The Koa application. oidc-provider 9's Provider *is* a Koa app; Porta's middleware and routes are
 * placed in front of its protocol routes with provider.use(), so one app serves both.
 */
import type { ClientMetadata, Configuration } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { emailVerifyRoutes } from '../interactions/access.js';
import { accountClient, accountRoutes } from '../interactions/account.js';
import { devRoutes } from '../interactions/dev.js';
import { promptRouters } from '../interactions/prompts.js';
import { publicRoutes } from '../interactions/public.js';
import { recoveryRoutes } from '../interactions/recovery.js';
import { registrationRoutes } from '../interactions/registration.js';
import { signinRoutes } from '../interactions/signin.js';
import { requestContext } from './http/context.js';
import { errorHandler } from './http/errors.js';
import { tokenEndpointLimit } from './http/rate-limit.js';
import { securityHeaders } from './http/security.js';
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
  const provider = createProvider(s, issuer, jwks, [...clients, accountClient(issuer)]);
  const registration = new Registration(s, issuer);
  const auth = new Authenticator(s, issuer);
  // Services with a home page (client_uri), listed after activation for people who came without one.
  const serviceLinks = clients.filter((c) => typeof c.client_uri === 'string').map((c) => ({ name: String(c.client_name ?? c.client_id), url: String(c.client_uri) }));
  provider.use(requestContext({ logger: s.logger, defaultLocale: s.config.defaultLocale }));
  provider.use(securityHeaders);
  provider.use(errorHandler);
  provider.use(tokenEndpointLimit(s.config.tokenRequestsPerIpPerMinute));
  const prompts = promptRouters(provider, s);
  const routers = [
    publicRoutes(s), signinRoutes(provider, s, prompts, auth), ...prompts.values(), registrationRoutes(provider, s, registration, serviceLinks),
    recoveryRoutes(provider, s), accountRoutes(provider, s), emailVerifyRoutes(s),
    ...(s.config.nodeEnv === 'development' ? [devRoutes(issuer)] : []),
  ];
  for (const router of routers) {
    provider.use(router.routes());
    provider.use(router.allowedMethods());
  }
  return { provider, registration };
}
