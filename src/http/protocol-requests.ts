/**
 * Porta's part in two protocol requests oidc-provider serves: POSTed authorization and logout requests,
 * and the language of the pages of a sign-in that asked for one (`ui_locales`).
 */
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { AppError } from '../errors.js';

/** Longer requests than this (a request object, say) go through PAR. */
const MAX_POSTED_REQUEST = 16 * 1024;

/**
 * OIDC Core 3.1.2.1 and RP-Initiated Logout: the authorization and end-session endpoints accept POST.
 * Porta answers a POST with a 303 to the same endpoint with the same parameters as a GET. The cookies are
 * SameSite=Lax, so a cross-site POST arrives without the sign-in session; the GET it turns into is a
 * top-level navigation, which does carry it, so single sign-on works for POSTed requests too.
 * (oidc-provider's own POST support requires SameSite=None cookies, which any site could then send along.)
 */
export function postedRequestsAsGet(paths: readonly string[]) {
  return async function postedRequestAsGet(ctx: Context, next: Next) {
    if (ctx.method !== 'POST' || !paths.includes(ctx.path)) return next();
    if (!ctx.is('application/x-www-form-urlencoded') || (ctx.get('content-encoding') || 'identity') !== 'identity') throw new AppError('error.bad_request', 400);
    const body = await readBody(ctx);
    const params = new URLSearchParams(body);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(`${ctx.path}?${params.toString()}`);
  };
}

async function readBody(ctx: Context): Promise<string> {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > MAX_POSTED_REQUEST) throw new AppError('error.too_large', 413);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_POSTED_REQUEST) throw new AppError('error.too_large', 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Pages of a sign-in speak the first language of its `ui_locales` Porta has (src/http/context.ts chooseLocale). */
export function interactionLocale(provider: Provider) {
  return async function interactionLocale(ctx: Context, next: Next) {
    if (ctx.path.startsWith('/interaction/')) {
      // No interaction (expired, no cookie): the page itself says so, in the usual language.
      const details = await provider.interactionDetails(ctx.req, ctx.res).catch(() => undefined);
      const uiLocales = details?.params.ui_locales;
      if (typeof uiLocales === 'string') ctx.state.uiLocales = uiLocales;
    }
    return next();
  };
}
