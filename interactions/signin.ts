/**
 * The sign-in interaction: oidc-provider sends the browser to /interaction/:uid whenever a person must
 * act (sign in, consent); these routes do it and hand back with interactionFinished.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Authenticator, AuthResult } from '../src/accounts/authenticate.js';
import { pageContext } from '../src/http/context.js';
import { formatDateTime } from '../src/i18n/format.js';
import { PASSWORD_AMR } from '../src/mfa/assurance.js';
import type { MessageKey } from '../src/i18n/index.js';
import { loginResult } from '../src/provider.js';
import type { Services } from '../src/services.js';
import { inactiveAccountMessage } from './access.js';
import { field, form } from './forms.js';
import type { PromptRouters } from './prompts.js';
import type { FederatedSignIn } from './saml.js';
import { consentPage, loginPage } from './views/pages.js';
import type { SafeHtml } from './views/html.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What an attempt refused during a delay or lock is told (`locked`: the words for a lock); undefined otherwise. */
export function delayMessage(ctx: Context, s: Services, result: AuthResult, locked: MessageKey = 'login.locked'): string | undefined {
  const { t, locale } = ctx.state;
  if (result.kind === 'locked') return t(locked, { time: formatDateTime(locale, result.until, s.config.timeZone) });
  if (result.kind !== 'too_soon') return undefined;
  const seconds = Math.max(1, Math.ceil((result.until - s.clock.now()) / 1000));
  return seconds === 1 ? t('login.too_soon.one') : t('login.too_soon.other', { seconds });
}

export function signinRoutes(provider: Provider, s: Services, prompts: PromptRouters, auth: Authenticator, federated: FederatedSignIn): Router {
  const router = new Router();

  async function clientName(clientId: unknown): Promise<string> {
    const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
    return client?.clientName ?? String(clientId);
  }

  async function renderLogin(ctx: Context, details: Details, name: string, login: string, error?: string | SafeHtml) {
    const { uid } = details;
    const institutions = await federated.choices(ctx, details);
    ctx.type = 'html';
    ctx.body = loginPage(pageContext(ctx, `/interaction/${uid}`), { uid, clientName: name, login, error, institutions }).value;
  }

  /**
   * A delay or lock is told to every attempt alike (its password was not verified); a disabled or not yet
   * activated account only to whoever proved the password; everyone else sees a wrong password.
   */
  function failureMessage(ctx: Context, result: AuthResult, uid: string): string | SafeHtml {
    return delayMessage(ctx, s, result) ?? ((result.kind === 'ok' && inactiveAccountMessage(ctx, s, result.account, uid, provider.issuer)) || ctx.state.t('login.invalid'));
  }

  router.get('/interaction/:uid', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { uid, prompt, params } = details;
    const name = await clientName(params.client_id);
    ctx.set('Cache-Control', 'no-store');
    if (prompt.name === 'login') {
      // idp_hint: straight to that institution, unless the person came back to choose another way.
      if (typeof params.idp_hint === 'string' && params.idp_hint && ctx.query.choose === undefined) return federated.start(ctx, details, params.idp_hint.slice(0, 1024));
      const hint = typeof params.login_hint === 'string' ? params.login_hint.slice(0, 64) : '';
      return renderLogin(ctx, details, name, hint);
    }
    if (prompt.name === 'consent') {
      const account = await s.accounts.findById(details.session!.accountId);
      const scopes = String(params.scope ?? '').split(' ');
      ctx.type = 'html';
      ctx.body = consentPage(pageContext(ctx, `/interaction/${uid}`), {
        uid, clientName: name, scopes, accountName: account ? `${account.givenName} ${account.familyName}` : '',
      }).value;
      return;
    }
    if (prompts.has(prompt.name)) return ctx.redirect(`/interaction/${uid}/${prompt.name}`);
    // A prompt Porta does not know: end the request with a proper OAuth error rather than a blank page.
    return provider.interactionFinished(ctx.req, ctx.res, { error: 'interaction_required', error_description: `unsupported prompt ${prompt.name}` }, { mergeWithLastSubmission: false });
  });

  router.post('/interaction/:uid/login', form, async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') return ctx.redirect(`/interaction/${details.uid}`);
    const login = field(ctx, 'login', 64) ?? '';
    const password = field(ctx, 'password', 128, { trim: false });
    const name = await clientName(details.params.client_id);
    ctx.set('Cache-Control', 'no-store');
    if (!login || !password) {
      return renderLogin(ctx, details, name, login, ctx.state.t(password === undefined ? 'login.invalid' : 'login.missing'));
    }

    const result = await auth.check(login, password, ctx.ip);
    const clientId = String(details.params.client_id);
    const account = result.account;
    if (result.kind !== 'ok' || account?.status !== 'active') {
      await s.audit.record({ action: 'login.failed', actor: account ? `account:${account.id}` : 'anonymous', accountId: account?.id, clientId, ip: ctx.ip, details: { reason: result.kind === 'ok' ? result.account.status : result.kind } });
      return renderLogin(ctx, details, name, login, failureMessage(ctx, result, details.uid));
    }

    await s.accounts.recordLogin(account.id);
    await s.audit.record({ action: 'login.succeeded', actor: `account:${account.id}`, accountId: account.id, clientId, ip: ctx.ip });
    await provider.interactionFinished(ctx.req, ctx.res, {
      login: loginResult(s.clock, account.id, PASSWORD_AMR),
    }, { mergeWithLastSubmission: false });
  });

  router.post('/interaction/:uid/confirm', form, async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { prompt, params, session } = details;
    if (prompt.name !== 'consent' || !session) return ctx.redirect(`/interaction/${details.uid}`);
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId: session.accountId, clientId: String(params.client_id) });
    const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await s.audit.record({ action: 'consent.given', actor: `account:${session.accountId}`, accountId: session.accountId, clientId: String(params.client_id), ip: ctx.ip });
    await provider.interactionFinished(ctx.req, ctx.res, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
  });

  router.post('/interaction/:uid/abort', form, async (ctx) => {
    await provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
  });

  return router;
}
