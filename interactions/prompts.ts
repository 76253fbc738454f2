/**
 * Pages for Porta's own interaction prompts (src/policy/). When oidc-provider stops at a prompt named N,
 * GET /interaction/:uid redirects to /interaction/:uid/N, served by the router registered here under N.
 * Each router finishes its step with provider.interactionFinished(…, { [N]: { … } }).
 */
import type Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Services } from '../src/services.js';

export type PromptRouters = Map<string, Router>;

export function promptRouters(_provider: Provider, _s: Services): PromptRouters {
  return new Map<string, Router>([]);
}
