/**
 * The Koa application. oidc-provider 9's Provider *is* a Koa app; Porta's middleware and routes are
 * placed in front of its protocol routes with provider.use(), so one app serves both.
 */
import type { ClientMetadata, Configuration } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { devRoutes } from '../interactions/dev.js';
import { promptRouters } from '../interactions/prompts.js';
import { publicRoutes } from '../interactions/public.js';
import { signinRoutes } from '../interactions/signin.js';
import { requestContext } from './http/context.js';
import { errorHandler } from './http/errors.js';
import { securityHeaders } from './http/security.js';
import { createProvider } from './provider.js';
import type { Services } from './services.js';

export function createApp(s: Services, issuer: string, jwks: Configuration['jwks'], clients: ClientMetadata[]): Provider {
  const provider = createProvider(s, issuer, jwks, clients);
  provider.use(requestContext({ logger: s.logger, defaultLocale: s.config.defaultLocale }));
  provider.use(securityHeaders);
  provider.use(errorHandler);
  const prompts = promptRouters(provider, s);
  const routers = [
    publicRoutes(s), signinRoutes(provider, s, prompts), ...prompts.values(),
    ...(s.config.nodeEnv === 'development' ? [devRoutes(issuer)] : []),
  ];
  for (const router of routers) {
    provider.use(router.routes());
    provider.use(router.allowedMethods());
  }
  return provider;
}
