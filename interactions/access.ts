/**
 * Pages of the access policy (src/policy/): the `not_allowed` and `access_code` prompts, registered in
 * interactions/prompts.ts, and the link confirming an address the helpdesk set (`porta users set-email`).
 * What a disabled or not yet activated account is told at sign-in is here too (used by signin.ts).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { USER_TYPES, emailKey, type Account, type UserType } from '../src/accounts/account.js';
import { AppError } from '../src/errors.js';
import { AccessCodes } from '../src/flows/access-code.js';
import { EMAIL_VERIFY, type EmailVerifyData } from '../src/flows/email-verify.js';
import { assertUsable } from '../src/flows/flows.js';
import { pageContext } from '../src/http/context.js';
import { spend } from '../src/http/rate-limit.js';
import type { MessageKey, Translator } from '../src/i18n/index.js';
import { helpdesk } from '../src/mail/access.js';
import { ACCESS_CODE_PROMPT } from '../src/policy/access-code.js';
import { NOT_ALLOWED_PROMPT } from '../src/policy/client-access.js';
import type { Services } from '../src/services.js';
import { field, form } from './forms.js';
import { html, type SafeHtml } from './views/html.js';
import { accessCodePage, confirmEmailPage, emailConfirmedPage, emailLinkProblemPage, notAllowedPage } from './views/access.js';

function send(ctx: Context, body: { value: string }, status = 200) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body.value;
}

async function clientName(provider: Provider, clientId: unknown): Promise<string> {
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
  return client?.clientName ?? String(clientId);
}

/** The interaction behind the page, when it is stopped at `prompt`; otherwise the caller redirects. */
async function detailsAt(provider: Provider, ctx: Context, prompt: string) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name !== prompt || details.uid !== ctx.params.uid || !details.session?.accountId) {
    ctx.redirect(`/interaction/${details.uid}`);
    return undefined;
  }
  // Not spread: the interaction's fields are partly getters.
  return { uid: details.uid, prompt: details.prompt, accountId: details.session.accountId, clientId: String(details.params.client_id) };
}

/**
 * Said to someone who proved the password of an account that cannot sign in; undefined for an active one.
 * A pending account gets a link (tappable, and the issuer's: never built from the request's Host).
 */
export function inactiveAccountMessage(ctx: Context, s: Services, account: Account, uid: string, issuer: string): SafeHtml | string | undefined {
  const { t } = ctx.state;
  if (account.status === 'disabled') return t('login.disabled', { contact: helpdesk(t, s.config.helpdeskContact) });
  if (account.status === 'pending') return html`${t('login.pending')} <a href="${issuer}/register/help?interaction=${uid}">${t('login.pending_link')}</a>`;
  return undefined;
}

export function notAllowedRoutes(provider: Provider, s: Services): Router {
  const router = new Router();

  router.get(`/interaction/:uid/${NOT_ALLOWED_PROMPT}`, async (ctx) => {
    const details = await detailsAt(provider, ctx, NOT_ALLOWED_PROMPT);
    if (!details) return;
    const shown = (details.prompt.details as { user_type?: unknown }).user_type;
    const userType = (USER_TYPES as readonly unknown[]).includes(shown) ? shown as UserType : null;
    const account = await s.accounts.findById(details.accountId);
    await s.audit.record({ action: 'access.denied', actor: `account:${details.accountId}`, accountId: details.accountId, clientId: details.clientId, ip: ctx.ip, details: { user_type: userType } });
    send(ctx, notAllowedPage(pageContext(ctx, ctx.path), {
      uid: details.uid, clientName: await clientName(provider, details.clientId), userType,
      accountName: account ? `${account.givenName} ${account.familyName}` : '', contact: helpdesk(ctx.state.t, s.config.helpdeskContact),
    }));
  });

  // "Back to the service": the service learns the answer as a standard OAuth error, never gets a code.
  router.post(`/interaction/:uid/${NOT_ALLOWED_PROMPT}`, form, async (ctx) => {
    const details = await detailsAt(provider, ctx, NOT_ALLOWED_PROMPT);
    if (!details) return;
    const userType = (details.prompt.details as { user_type?: unknown }).user_type;
    await provider.interactionFinished(ctx.req, ctx.res, {
      error: 'access_denied',
      error_description: `this service is not available to ${typeof userType === 'string' ? userType : 'these'} users`,
    }, { mergeWithLastSubmission: false });
  });

  return router;
}

export function accessCodeRoutes(provider: Provider, s: Services): Router {
  const router = new Router();
  const codes = new AccessCodes(s);
  const contact = (t: Translator) => s.config.accessCodeContact || helpdesk(t, s.config.helpdeskContact);

  router.get(`/interaction/:uid/${ACCESS_CODE_PROMPT}`, async (ctx) => {
    const details = await detailsAt(provider, ctx, ACCESS_CODE_PROMPT);
    if (!details) return;
    send(ctx, accessCodePage(pageContext(ctx, ctx.path), { uid: details.uid, clientName: await clientName(provider, details.clientId), contact: contact(ctx.state.t), code: '' }));
  });

  router.post(`/interaction/:uid/${ACCESS_CODE_PROMPT}`, form, async (ctx) => {
    const details = await detailsAt(provider, ctx, ACCESS_CODE_PROMPT);
    if (!details) return;
    const { accountId, clientId } = details;
    const typed = field(ctx, 'code', 32) ?? '';
    // Entered meanwhile in another tab: nothing left to ask.
    const verdict = await codes.hasAccess(accountId, clientId) ? { ok: true as const } : await codes.verify(accountId, clientId, typed);
    if (verdict.ok) {
      await s.audit.record({ action: 'access_code.accepted', actor: `account:${accountId}`, accountId, clientId, ip: ctx.ip });
      return provider.interactionFinished(ctx.req, ctx.res, { [ACCESS_CODE_PROMPT]: {} }, { mergeWithLastSubmission: true });
    }
    if (verdict.problem !== 'access_code.required' && verdict.problem !== 'access_code.format') {
      await s.audit.record({ action: 'access_code.refused', actor: `account:${accountId}`, accountId, clientId, ip: ctx.ip, details: { problem: verdict.problem } });
    }
    const { t } = ctx.state;
    const error = t(verdict.problem as MessageKey, { contact: contact(t), left: verdict.attemptsLeft ?? 0 });
    send(ctx, accessCodePage(pageContext(ctx, `/interaction/${details.uid}/${ACCESS_CODE_PROMPT}`), {
      uid: details.uid, clientName: await clientName(provider, clientId), contact: contact(t), code: typed, error,
    }), 422);
  });

  return router;
}

/** GET shows a button (mail scanners follow links), POST uses the single-use token. */
export function emailVerifyRoutes(s: Services): Router {
  const router = new Router();
  const perIp = s.rateLimits.limiter('email-verify-ip', s.config.selfServicePostsPerIpPerHour, 3600);

  async function open(token: unknown) {
    const flow = await s.flows.findByToken<EmailVerifyData>(EMAIL_VERIFY, token);
    assertUsable(flow, s.clock.now());
    const account = flow.accountId ? await s.accounts.findById(flow.accountId) : undefined;
    if (!account) throw new AppError('flow.expired', 410);
    // The address was changed again since the link was sent.
    if (!account.email || emailKey(account.email) !== emailKey(String(flow.data.email))) throw new AppError('email_verify.stale', 410);
    return { flow, account };
  }

  async function withLink(ctx: Context, run: () => Promise<void>) {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof AppError) || !(err.code.startsWith('flow.') || err.code === 'email_verify.stale')) throw err;
      send(ctx, emailLinkProblemPage(pageContext(ctx, '/'), { message: ctx.state.t(err.code) }), err.status);
    }
  }

  router.get('/email/verify', (ctx) => withLink(ctx, async () => {
    const token = String(ctx.query.token ?? '');
    const { account } = await open(token);
    send(ctx, confirmEmailPage(pageContext(ctx, ctx.originalUrl), { token, email: account.email! }));
  }));

  router.post('/email/verify', form, (ctx) => withLink(ctx, async () => {
    await spend(perIp, ctx.ip);
    const { flow, account } = await open(field(ctx, 'token', 64) ?? '');
    await s.db.transaction(async (trx) => {
      if (!(await s.flows.consume(flow, 'done', trx))) throw new AppError('flow.used', 410);
      await s.accounts.setEmail(account.id, account.email!, { verified: true }, trx);
      await s.audit.record({ action: 'account.email_verified', actor: `account:${account.id}`, accountId: account.id, ip: ctx.ip }, trx);
    });
    send(ctx, emailConfirmedPage(pageContext(ctx, '/'), { email: account.email! }));
  }));

  return router;
}
