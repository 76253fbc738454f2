/**
 * Security headers on every response. The CSP is set before oidc-provider runs, so the one inline
 * script it needs (form_post auto-submit) is added to script-src by hash rather than 'unsafe-inline'.
 */
import type { Context, Next } from 'koa';

const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'",
].join('; ');

export function securityHeaders(ctx: Context, next: Next) {
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('X-Frame-Options', 'DENY');
  if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  return next();
}

/**
 * Discovery and the JWKS are the same for every asker (their URLs come from ISSUER only, see
 * provider.ts), so shared caches may keep them briefly; an error answer is never stored.
 */
export async function publicMetadataCaching(ctx: Context & { oidc?: { route?: string } }, next: Next) {
  await next();
  const route = ctx.oidc?.route;
  if (route !== 'discovery' && route !== 'jwks') return;
  ctx.set('Cache-Control', ctx.status === 200 ? 'public, max-age=300' : 'no-store');
}
