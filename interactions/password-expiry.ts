/**
 * The password-expiry step of a sign-in (prompt `password_expiry`, src/policy/password-expiry.ts):
 * - expired: a new password (and, when the password was not typed in this sign-in because an SSO session
 *   was reused, the current one too) before going on to the service;
 * - expiring soon: a reminder with "change it now" and "continue".
 * Either way it ends with interactionFinished, merged with the login, and oidc-provider resumes the request.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Account } from '../src/accounts/account.js';
import { newPasswordErrors, PasswordChanges, type PasswordErrors } from '../src/flows/password-change.js';
import { pageContext } from '../src/http/context.js';
import { spend } from '../src/http/rate-limit.js';
import { formatDate } from '../src/i18n/format.js';
import type { MessageKey } from '../src/i18n/index.js';
import { loginName } from '../src/mail/account.js';
import { PASSWORD_EXPIRY_PROMPT, passwordExpiresAt } from '../src/policy/password-expiry.js';
import { passwordTypedNow } from '../src/policy/second-factor.js';
import type { Services } from '../src/services.js';
import { field, form } from './forms.js';
import { perIp } from './recovery.js';
import { passwordExpiredPage, passwordOptionalChangePage, passwordReminderPage } from './views/password-expiry.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
interface Step { details: Details; account: Account; expired: boolean; needCurrent: boolean; clientName: string; clientId: string }

export function passwordExpiryRoutes(provider: Provider, s: Services): Router {
  const router = new Router();
  const changes = new PasswordChanges(s, provider.issuer);
  const passwordChecks = s.rateLimits.limiter('expiry-password-check', 10, 3600);

  /** The interaction, when it is at this step; otherwise sends the browser to wherever it is. */
  async function step(ctx: Context): Promise<Step | undefined> {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const account = details.session ? await s.accounts.findById(details.session.accountId) : undefined;
    if (details.prompt.name !== PASSWORD_EXPIRY_PROMPT || !account) {
      ctx.redirect(`/interaction/${details.uid}`);
      return undefined;
    }
    const expired = details.prompt.reasons.includes('password_expired');
    // The password was typed in this very sign-in, or the step follows a reused session and must ask for it.
    const fresh = passwordTypedNow(details.lastSubmission);
    const clientId = String(details.params.client_id);
    const client = await provider.Client.find(clientId);
    return { details, account, expired, needCurrent: expired && !fresh, clientName: client?.clientName ?? clientId, clientId };
  }

  const translate = (ctx: Context, errors: Partial<Record<string, MessageKey>>) =>
    Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v && ctx.state.t(v)]));

  function render(ctx: Context, st: Step, errors: Partial<Record<string, MessageKey>> = {}) {
    const { uid } = st.details;
    const page = pageContext(ctx, `/interaction/${uid}/${PASSWORD_EXPIRY_PROMPT}`);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    if (st.expired) {
      ctx.body = passwordExpiredPage(page, {
        uid, clientName: st.clientName, days: s.config.passwordMaxAgeDays, needCurrent: st.needCurrent, login: loginName(st.account), errors: translate(ctx, errors),
      }).value;
    } else if (ctx.query.change !== undefined || Object.keys(errors).length) {
      ctx.body = passwordOptionalChangePage(page, { uid, clientName: st.clientName, login: loginName(st.account), errors: translate(ctx, errors) }).value;
    } else {
      const expiresAt = passwordExpiresAt(st.account, s.config) ?? s.clock.now();
      ctx.body = passwordReminderPage(page, { uid, clientName: st.clientName, date: formatDate(ctx.state.locale, expiresAt, s.config.timeZone) }).value;
    }
  }

  router.get(`/interaction/:uid/${PASSWORD_EXPIRY_PROMPT}`, async (ctx) => {
    const st = await step(ctx);
    if (st) render(ctx, st);
  });

  router.post(`/interaction/:uid/${PASSWORD_EXPIRY_PROMPT}`, perIp(s, 'password-expiry'), form, async (ctx) => {
    const st = await step(ctx);
    if (!st) return;
    const { account, details } = st;
    const password = field(ctx, 'password', 128, { trim: false });
    const errors: PasswordErrors = newPasswordErrors(account, password, field(ctx, 'password_confirm', 128, { trim: false }));
    if (st.needCurrent) {
      await spend(passwordChecks, `account:${account.id}`);
      const current = field(ctx, 'current', 128, { trim: false }) ?? '';
      const { ok } = await s.hasher.verify(account.passwordHash, current);
      if (!current) errors.current = 'field.required';
      else if (!ok) errors.current = 'newpw.current_wrong';
      else if (!errors.password && password === current) errors.password = 'newpw.same';
    } else if (!errors.password && !errors.password_confirm && await changes.isCurrent(account, password!)) {
      errors.password = 'newpw.same';
    }
    if (Object.keys(errors).length) return render(ctx, st, errors);

    await changes.change(account, password!, {
      ip: ctx.ip, clientId: st.clientId, locale: ctx.state.locale, reason: st.expired ? 'expired' : 'expiring',
      // This session and this sign-in go on; every other session, and every token, ends.
      keep: { sessionId: details.session!.cookie, interactionId: details.uid },
    });
    await provider.interactionFinished(ctx.req, ctx.res, { [PASSWORD_EXPIRY_PROMPT]: { changed: true } }, { mergeWithLastSubmission: true });
  });

  // "Not now": only while the password has not expired yet.
  router.post(`/interaction/:uid/${PASSWORD_EXPIRY_PROMPT}/continue`, perIp(s, 'password-expiry'), form, async (ctx) => {
    const st = await step(ctx);
    if (!st) return;
    if (st.expired) return ctx.redirect(`/interaction/${st.details.uid}/${PASSWORD_EXPIRY_PROMPT}`);
    await s.audit.record({ action: 'password.expiry_postponed', actor: `account:${st.account.id}`, accountId: st.account.id, clientId: st.clientId, ip: ctx.ip });
    await provider.interactionFinished(ctx.req, ctx.res, { [PASSWORD_EXPIRY_PROMPT]: { postponed: true } }, { mergeWithLastSubmission: true });
  });

  return router;
}
