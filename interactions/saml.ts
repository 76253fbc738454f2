/** Porta as a SAML service provider, HTTP side: its metadata (the ACS comes with federated sign-in). */
import Router from '@koa/router';
import { spMetadata } from '../src/federation/saml/sp-metadata.js';
import type { Services } from '../src/services.js';

export function samlRoutes(s: Services, issuer: string): Router {
  const router = new Router();

  // Read by federation operators' tools and IdPs; short caching so a key rotation shows within minutes.
  router.get('/saml/metadata', async (ctx) => {
    ctx.type = 'application/samlmetadata+xml';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = spMetadata(s.config, issuer, await s.spKeys.published());
  });

  return router;
}
