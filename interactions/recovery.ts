/**
 * Forgot password and forgot username (linked from the login page with ?interaction=UID, so "back to sign
 * in" returns into the authorization request while it exists), and the reset link's page.
 *
 * The answer to a request is the same page whether or not an account matched. Links carry their token in
 * the query string (request logs record the path only); GET shows a button, POST consumes — mail scanners
 * that prefetch links cannot spend them.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { checkEmail } from '../src/accounts/validation.js';
import { AppError } from '../src/errors.js';
import { PasswordReset } from '../src/flows/password-reset.js';
import { UsernameReminder } from '../src/flows/username-reminder.js';
import { pageContext } from '../src/http/context.js';
import { throttle } from '../src/http/rate-limit.js';
import type { MessageKey } from '../src/i18n/index.js';
import { loginName } from '../src/mail/account.js';
import type { Services } from '../src/services.js';
import { dateParts, field, form } from './forms.js';
import { forgotPasswordPage, forgotUsernamePage, linkProblemPage, recoverySentPage, resetDonePage, resetPasswordPage } from './views/recovery.js';

type Errors = Record<string, string | undefined>;
export type LinkKind = 'reset' | 'email' | 'report';

const UID = /^[A-Za-z0-9_-]{1,64}$/;

/** The sign-in the person came from, when it still exists: its uid (to carry along) and the way back into it. */
export async function interactionOf(provider: Provider, raw: unknown): Promise<{ uid?: string; back?: string }> {
  const uid = typeof raw === 'string' && UID.test(raw) ? raw : undefined;
  if (!uid || !(await provider.Interaction.find(uid))) return {};
  return { uid, back: `/interaction/${uid}` };
}

/** A per-IP limit on a form (SELF_SERVICE_POSTS_PER_IP_PER_HOUR); each form counts on its own. */
export const perIp = (s: Services, name: string) => throttle(s.rateLimits.limiter(`ip:${name}`, s.config.selfServicePostsPerIpPerHour, 3600));

const translate = (ctx: Context, errors: Partial<Record<string, MessageKey>>): Errors =>
  Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v && ctx.state.t(v)]));

/**
 * The answer to a link that cannot be used: not valid (404), expired (410, with the way to start again),
 * already used (410) — each its own words. Rethrows anything else.
 */
export function renderLinkProblem(ctx: Context, s: Services, err: unknown, kind: LinkKind): void {
  if (!(err instanceof AppError)) throw err;
  const { t } = ctx.state;
  const restart = kind === 'reset' ? { href: '/recover/password', label: t('link.restart.reset') }
    : kind === 'email' ? { href: '/account', label: t('link.restart.email') } : undefined;
  let title: string;
  let body: string;
  switch (err.code) {
    case 'flow.invalid':
      title = t('link.invalid.title');
      body = t('link.invalid.body');
      break;
    case 'flow.expired':
      title = t('link.expired.title');
      body = kind === 'reset' ? t('link.expired.reset', { minutes: s.config.passwordResetTtlMinutes })
        : kind === 'email' ? t('link.expired.email', { hours: s.config.emailChangeTtlHours }) : t('link.expired.report');
      break;
    case 'flow.used':
      title = t('link.used.title');
      body = t(kind === 'reset' ? 'link.used.reset' : kind === 'email' ? 'link.used.email' : 'link.used.report');
      break;
    case 'reset.locked':
      title = t('link.invalid.title');
      body = t('reset.locked');
      break;
    case 'account.email.taken':
      title = t('error.title');
      body = t('account.email.taken');
      break;
    default:
      throw err;
  }
  ctx.status = err.status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = linkProblemPage(pageContext(ctx, ctx.path), { title, body, restart }).value;
}

export function recoveryRoutes(provider: Provider, s: Services): Router {
  const router = new Router();
  const reset = new PasswordReset(s, provider.issuer);
  const reminder = new UsernameReminder(s);

  function show(ctx: Context, page: { value: string }) {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = page.value;
  }

  router.get('/recover/password', async (ctx) => {
    const { uid, back } = await interactionOf(provider, ctx.query.interaction);
    show(ctx, forgotPasswordPage(pageContext(ctx, ctx.originalUrl), { identifier: '', errors: {}, interactionUid: uid, back }));
  });

  router.post('/recover/password', perIp(s, 'recover-password'), form, async (ctx) => {
    const { uid, back } = await interactionOf(provider, (ctx.request.body as Record<string, unknown>).interaction);
    const identifier = field(ctx, 'identifier', 254);
    if (!identifier) {
      const errors = { identifier: ctx.state.t(identifier === undefined ? 'field.too_long' : 'field.required') };
      return show(ctx, forgotPasswordPage(pageContext(ctx, '/recover/password'), { identifier: identifier ?? '', errors, interactionUid: uid, back }));
    }
    await reset.request(identifier, { ip: ctx.ip, locale: ctx.state.locale, interactionUid: uid });
    show(ctx, recoverySentPage(pageContext(ctx, '/recover/password'), { message: ctx.state.t('recover.password.sent', { minutes: reset.ttlMinutes }), back }));
  });

  router.get('/recover/username', async (ctx) => {
    const { uid, back } = await interactionOf(provider, ctx.query.interaction);
    show(ctx, forgotUsernamePage(pageContext(ctx, ctx.originalUrl), { email: '', errors: {}, interactionUid: uid, back }));
  });

  router.post('/recover/username', perIp(s, 'recover-username'), form, async (ctx) => {
    const { uid, back } = await interactionOf(provider, (ctx.request.body as Record<string, unknown>).interaction);
    const raw = field(ctx, 'email', 254);
    // The form of an address is no secret: a typo is pointed out rather than answered with "if it exists…".
    const email = raw === undefined ? { error: 'field.too_long' as const } : checkEmail(raw);
    if (email.error) {
      return show(ctx, forgotUsernamePage(pageContext(ctx, '/recover/username'), { email: raw ?? '', errors: { email: ctx.state.t(email.error) }, interactionUid: uid, back }));
    }
    await reminder.request(email.value, { ip: ctx.ip, locale: ctx.state.locale });
    show(ctx, recoverySentPage(pageContext(ctx, '/recover/username'), { message: ctx.state.t('recover.username.sent'), back }));
  });

  // The link from the mail: a page with the form; nothing is spent by opening it.
  router.get('/recover/password/reset', async (ctx) => {
    try {
      const { account } = await reset.open(ctx.query.token);
      show(ctx, resetPasswordPage(pageContext(ctx, ctx.originalUrl), {
        token: String(ctx.query.token), login: loginName(account), requiresBirthdate: reset.requiresBirthdate, birthdate: { day: '', month: '', year: '' }, errors: {},
      }));
    } catch (err) {
      renderLinkProblem(ctx, s, err, 'reset');
    }
  });

  router.post('/recover/password/reset', perIp(s, 'reset-password'), form, async (ctx) => {
    const token = field(ctx, 'token', 64) ?? '';
    const birthdate = dateParts(ctx, 'birthdate');
    try {
      const outcome = await reset.complete(token, {
        password: field(ctx, 'password', 128, { trim: false }), confirm: field(ctx, 'password_confirm', 128, { trim: false }), birthdate,
      }, { ip: ctx.ip, locale: ctx.state.locale });
      if (!outcome.ok) {
        return show(ctx, resetPasswordPage(pageContext(ctx, '/recover/password'), {
          token, login: loginName(outcome.account), requiresBirthdate: reset.requiresBirthdate, birthdate, errors: translate(ctx, outcome.errors),
        }));
      }
      const { back } = await interactionOf(provider, outcome.interactionUid);
      show(ctx, resetDonePage(pageContext(ctx, '/'), { continueUrl: back }));
    } catch (err) {
      renderLinkProblem(ctx, s, err, 'reset');
    }
  });

  return router;
}
