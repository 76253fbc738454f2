/**
 * Per-request state shared by every middleware and page: request id, logger, language, CSRF token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { PageContext } from '../../interactions/views/layout.js';
import { isLocale, negotiate, translator, type Locale, type Translator } from '../i18n/index.js';
import type { Logger } from '../logger.js';

export interface PortaState {
  requestId: string;
  log: Logger;
  locale: Locale;
  t: Translator;
  csrfToken: string;
}

declare module 'koa' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- augments Koa's state with Porta's fields
  interface DefaultState extends PortaState {}
}

const LANG_COOKIE = 'porta.lang';
const CSRF_COOKIE = 'porta.csrf';

export function requestContext(opts: { logger: Logger; defaultLocale: Locale }) {
  return async function context(ctx: Context, next: Next) {
    const requestId = randomBytes(8).toString('hex');
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    ctx.state.log = opts.logger.child({ reqId: requestId });

    const asked = ctx.query.lang;
    let locale: Locale;
    if (isLocale(asked)) {
      locale = asked;
      ctx.cookies.set(LANG_COOKIE, asked, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, maxAge: 365 * 86400e3, signed: false, overwrite: true });
    } else {
      const saved = ctx.cookies.get(LANG_COOKIE, { signed: false });
      locale = isLocale(saved) ? saved : negotiate(ctx.get('Accept-Language'), opts.defaultLocale);
    }
    ctx.state.locale = locale;
    ctx.state.t = translator(locale);

    Object.defineProperty(ctx.state, 'csrfToken', { get: () => csrfToken(ctx), enumerable: true });

    const started = performance.now();
    try {
      await next();
    } finally {
      // The path only: query strings carry codes and tokens.
      ctx.state.log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}

/** Double-submit CSRF: a random value in a signed HttpOnly cookie, echoed in each form. */
function csrfToken(ctx: Context): string {
  let token = ctx.cookies.get(CSRF_COOKIE, { signed: true });
  if (!token || !/^[\w-]{43}$/.test(token)) {
    token = randomBytes(32).toString('base64url');
    ctx.cookies.set(CSRF_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, signed: true, overwrite: true });
  }
  return token;
}

export function csrfValid(ctx: Context, submitted: unknown): boolean {
  const expected = ctx.cookies.get(CSRF_COOKIE, { signed: true });
  if (!expected || typeof submitted !== 'string' || submitted.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(submitted), Buffer.from(expected));
}

export function pageContext(ctx: Context, langBase = ctx.path): PageContext {
  const s = ctx.state;
  return { t: s.t, locale: s.locale, requestId: s.requestId, csrfToken: s.csrfToken, langBase };
}
