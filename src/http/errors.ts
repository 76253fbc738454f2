/**
 * Turns anything thrown by Porta's routes into a page a person can read: the localized message for a
 * known code, or a generic page with the request id (the log has the cause). Never a stack trace.
 */
import type { Context, Next } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import { errorPage } from '../../interactions/views/pages.js';
import { AppError } from '../errors.js';
import type { MessageKey } from '../i18n/index.js';
import { databaseUnavailable } from '../storage/db.js';
import { helpdesk } from '../mail/access.js';
import { pageContext } from './context.js';
import { renderThrottled, Throttled } from './rate-limit.js';

/** Every error page carries the request id, so a person can quote it to the helpdesk. */
export function renderErrorPage(ctx: Context, status: number, message: string) {
  ctx.status = status;
  ctx.type = 'html';
  const { t } = ctx.state;
  ctx.body = errorPage(pageContext(ctx, '/'), { title: t('error.title'), message }).value;
}

/** Errors that mean the relying service is set up wrongly: going back cannot help, someone must be told. */
const MISCONFIGURED = new Set(['invalid_client', 'invalid_redirect_uri', 'unauthorized_client', 'unsupported_response_type', 'invalid_client_metadata', 'invalid_target']);

export function oidcErrorMessage(ctx: Context, err: { error?: string; name?: string }, helpdeskContact: string): string {
  const { t } = ctx.state;
  if (err instanceof oidcErrors.SessionNotFound || err.name === 'SessionNotFound') return t('error.session_expired');
  const error = err.error ?? 'invalid_request';
  if (MISCONFIGURED.has(error)) return t('error.oauth_misconfigured', { error, contact: helpdesk(t, helpdeskContact) });
  return t('error.oauth', { error });
}

export const errorHandler = (helpdeskContact: string) => async (ctx: Context, next: Next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) renderErrorPage(ctx, 404, ctx.state.t('error.not_found'));
  } catch (err) {
    const e = err as Error & { status?: number; statusCode?: number; expose?: boolean; error?: string };
    if (e instanceof Throttled) {
      renderThrottled(ctx, e);
    } else if (e instanceof AppError) {
      renderErrorPage(ctx, e.status, ctx.state.t(e.code));
    } else if (e instanceof oidcErrors.OIDCProviderError) {
      renderErrorPage(ctx, e.statusCode, oidcErrorMessage(ctx, e, helpdeskContact));
    } else if (databaseUnavailable(e)) {
      renderDatabaseLost(ctx, e);
    } else if ((e.status ?? 500) < 500 && e.expose) {
      const key: MessageKey = e.status === 413 ? 'error.too_large' : e.status === 404 ? 'error.not_found' : 'error.bad_request';
      renderErrorPage(ctx, e.status!, ctx.state.t(key));
    } else {
      ctx.state.log.error({ err: e }, 'unhandled error');
      renderErrorPage(ctx, 500, ctx.state.t('error.generic'));
    }
  }
}

/** How soon to try again after a lost database connection: the pool has a fresh one by then. */
const RETRY_AFTER_LOST_CONNECTION = '2';

/**
 * A request whose database connection was lost midway (and could not safely run again: see
 * retryLostConnections), or that got none, did nothing that lasts; it is told so with a 503 and
 * Retry-After, not a 500.
 */
export function renderDatabaseLost(ctx: Context, err: unknown) {
  ctx.state.log.warn({ err }, 'database unavailable for the request');
  ctx.set('Retry-After', RETRY_AFTER_LOST_CONNECTION);
  renderErrorPage(ctx, 503, ctx.state.t('error.unavailable'));
}

/**
 * oidc-provider answers its own endpoints' failures (token, userinfo, …) with a JSON server_error 500;
 * when the cause was the database being unavailable (marked by its server_error event), the OAuth answer is
 * 503 temporarily_unavailable, which clients may retry.
 */
export const lostConnectionMarker = Symbol('lost database connection');
export async function databaseLostAnswers(ctx: Context, next: Next) {
  await next();
  const body = ctx.body as { error?: unknown } | undefined;
  if (!(ctx.state as unknown as Record<symbol, unknown>)[lostConnectionMarker] || ctx.status !== 500 || body?.error !== 'server_error') return;
  answerUnavailable(ctx);
}

/** The OAuth (JSON) form of renderDatabaseLost. */
export function answerUnavailable(ctx: Context) {
  ctx.status = 503;
  ctx.set('Retry-After', RETRY_AFTER_LOST_CONNECTION);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'temporarily_unavailable', error_description: 'the request could not be completed; retry it' };
}
