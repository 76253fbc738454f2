/**
 * Development only: a tiny relying service at /dev/ (client `porta-demo`), so a fresh clone can try a
 * whole sign-in in the browser. Never mounted in production or test. Its client is built from the issuer
 * (devClient), so the quick start works on any PORT or ISSUER.
 */
import { createHash, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { ClientMetadata } from 'oidc-provider';
import { pageContext } from '../src/http/context.js';
import { html } from './views/html.js';
import { layout } from './views/layout.js';

const CLIENT_ID = 'porta-demo';
const CLIENT_SECRET = 'dev-only-porta-demo-secret';
const COOKIE = 'porta.dev';

/** The demo's own client, registered only in development, with redirect URIs at this issuer. */
export function devClient(issuer: string): ClientMetadata {
  return {
    client_id: CLIENT_ID, client_name: 'Porta demo (development only)', client_secret: CLIENT_SECRET,
    redirect_uris: [`${issuer}/dev/callback`], post_logout_redirect_uris: [`${issuer}/dev/`],
    grant_types: ['authorization_code', 'refresh_token'], first_party: true,
  };
}

export function devRoutes(issuer: string): Router {
  const router = new Router({ prefix: '/dev' });
  const redirectUri = `${issuer}/dev/callback`;

  router.get('/', (ctx) => {
    const { t } = ctx.state;
    ctx.type = 'html';
    ctx.body = layout(pageContext(ctx), t('dev.title'), html`<h1>${t('dev.title')}</h1><p>${t('dev.intro')}</p>
<p><a href="/dev/try">${t('dev.try')}</a></p>`).value;
  });

  router.get('/try', (ctx) => {
    const state = randomBytes(16).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    ctx.cookies.set(COOKIE, JSON.stringify({ state, verifier }), { signed: true, httpOnly: true, sameSite: 'lax' });
    const url = new URL(`${issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: CLIENT_ID, response_type: 'code', redirect_uri: redirectUri, scope: 'openid profile email phone', state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    }).toString();
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const { t } = ctx.state;
    const saved = JSON.parse(ctx.cookies.get(COOKIE, { signed: true }) ?? '{}') as { state?: string; verifier?: string };
    let error = typeof ctx.query.error === 'string' ? ctx.query.error : saved.state && saved.state === ctx.query.state ? '' : 'state mismatch';
    let claims: unknown;
    let idToken = '';
    if (!error) {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: String(ctx.query.code), redirect_uri: redirectUri, code_verifier: saved.verifier ?? '' }),
      });
      const tokens = (await res.json()) as { access_token?: string; id_token?: string; error?: string };
      if (tokens.error || !tokens.access_token) error = tokens.error ?? 'token error';
      else {
        idToken = tokens.id_token ?? '';
        claims = await (await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
      }
    }
    const logout = `${issuer}/session/end?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: `${issuer}/dev/` }).toString()}`;
    ctx.type = 'html';
    ctx.body = layout(pageContext(ctx, '/dev/'), t('dev.title'), error
      ? html`<h1>${t('dev.title')}</h1><p role="alert">${t('dev.failed', { error })}</p><p><a href="/dev/try">${t('dev.try')}</a></p>`
      : html`<h1>${t('dev.title')}</h1><p>${t('dev.signed_in')}</p><pre>${JSON.stringify(claims, null, 2)}</pre><p><a href="${logout}">${t('dev.logout')}</a></p>`).value;
  });

  return router;
}
