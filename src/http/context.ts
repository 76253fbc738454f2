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
  /** The `ui_locales` of the authorization request this page belongs to (set before the language is first read). */
  uiLocales?: string;
}

declare module 'koa' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- augments Koa's state with Porta's fields
  interface DefaultState extends PortaState {}
}

const LANG_COOKIE = 'porta.lang';
const CSRF_COOKIE = 'porta.csrf';

/**
 * ctx.state for one request. Everything but the request id is worked out on first use: protocol
 * endpoints (token, userinfo, JWKS) never render a page, and they are most of the traffic.
 */
class RequestState implements PortaState {
  #log?: Logger;
  #locale?: Locale;
  #t?: Translator;
  #csrfToken?: string;
  uiLocales?: string;

  constructor(readonly requestId: string, private readonly ctx: Context, private readonly opts: ContextOptions) {}

  get log(): Logger {
    return (this.#log ??= this.opts.logger.child({ reqId: this.requestId }));
  }

  get locale(): Locale {
    return (this.#locale ??= chooseLocale(this.ctx, this.opts.defaultLocale, this.uiLocales));
  }

  get t(): Translator {
    return (this.#t ??= translator(this.locale));
  }

  get csrfToken(): string {
    return (this.#csrfToken ??= csrfToken(this.ctx));
  }
}

/** 16 hex characters, unique enough to find one request in the logs; drawn from a pool (one system call per 512). */
let idPool = Buffer.alloc(0);
let idOffset = 0;
function nextRequestId(): string {
  if (idOffset === idPool.length) {
    idPool = randomBytes(4096);
    idOffset = 0;
  }
  idOffset += 8;
  return idPool.toString('hex', idOffset - 8, idOffset);
}

interface ContextOptions {
  logger: Logger;
  /** Writes the request line (src/logger.ts requestLogger). */
  requestLog: Logger;
  defaultLocale: Locale;
}

export function requestContext(opts: ContextOptions) {
  return async function context(ctx: Context, next: Next) {
    const requestId = nextRequestId();
    ctx.set('X-Request-Id', requestId);
    const state = new RequestState(requestId, ctx, opts);
    ctx.state = state;
    // ?lang= remembers the choice even on a request that renders nothing (e.g. /auth, which redirects).
    if (ctx.querystring.includes('lang=')) void state.locale;

    const started = performance.now();
    try {
      await next();
    } finally {
      // Not a per-request child: this line is written for every request. The path only: query
      // strings carry codes and tokens.
      opts.requestLog.info({ reqId: requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}

/**
 * ?lang= (the person's own choice, remembered in a cookie), else the first language of the service's
 * ui_locales we have (for that sign-in only), else the remembered choice, else Accept-Language.
 */
function chooseLocale(ctx: Context, defaultLocale: Locale, uiLocales: string | undefined): Locale {
  const asked = ctx.query.lang;
  if (isLocale(asked)) {
    ctx.cookies.set(LANG_COOKIE, asked, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, maxAge: 365 * 86400e3, signed: false, overwrite: true });
    return asked;
  }
  const requested = uiLocales ? negotiate(uiLocales.slice(0, 200), undefined) : undefined;
  if (requested) return requested;
  const saved = ctx.cookies.get(LANG_COOKIE, { signed: false });
  return isLocale(saved) ? saved : negotiate(ctx.get('Accept-Language'), defaultLocale);
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
