/**
 * Pages for Porta's own interaction prompts (src/policy/). When oidc-provider stops at a prompt named N,
 * GET /interaction/:uid redirects to /interaction/:uid/N, served by the router registered here under N.
 * Each router finishes its step with provider.interactionFinished(…, { [N]: { … } }).
 */
import type Router from '@koa/router';
import type Provider from 'oidc-provider';
import { ACCESS_CODE_PROMPT } from '../src/policy/access-code.js';
import { NOT_ALLOWED_PROMPT } from '../src/policy/client-access.js';
import { PASSWORD_EXPIRY_PROMPT } from '../src/policy/password-expiry.js';
import { SECOND_FACTOR_PROMPT } from '../src/policy/second-factor.js';
import type { Authenticator } from '../src/accounts/authenticate.js';
import type { Services } from '../src/services.js';
import { accessCodeRoutes, notAllowedRoutes } from './access.js';
import { passwordExpiryRoutes } from './password-expiry.js';
import { secondFactorRoutes } from './second-factor.js';

export type PromptRouters = Map<string, Router>;

export function promptRouters(provider: Provider, s: Services, auth: Authenticator): PromptRouters {
  return new Map<string, Router>([
    [PASSWORD_EXPIRY_PROMPT, passwordExpiryRoutes(provider, s)],
    [NOT_ALLOWED_PROMPT, notAllowedRoutes(provider, s)],
    [SECOND_FACTOR_PROMPT, secondFactorRoutes(provider, s, auth)],
    [ACCESS_CODE_PROMPT, accessCodeRoutes(provider, s)],
  ]);
}
