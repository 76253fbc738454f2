/**
 * Turns anything thrown by Porta's routes into a page a person can read: the localized message for a
 * known code, or a generic page with the request id (the log has the cause). Never a stack trace.
 */
import type { Context, Next } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import { errorPage } from '../../interactions/views/pages.js';
import { AppError } from '../errors.js';
import type { MessageKey } from '../i18n/index.js';
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
    } else if ((e.status ?? 500) < 500 && e.expose) {
      const key: MessageKey = e.status === 413 ? 'error.too_large' : e.status === 404 ? 'error.not_found' : 'error.bad_request';
      renderErrorPage(ctx, e.status!, ctx.state.t(key));
    } else {
      ctx.state.log.error({ err: e }, 'unhandled error');
      renderErrorPage(ctx, 500, ctx.state.t('error.generic'));
    }
  }
}
