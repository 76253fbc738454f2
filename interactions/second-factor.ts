/**
 * The second-factor step of a sign-in (prompt `second_factor`, src/policy/second-factor.ts):
 * - the account has a method: a code from the app (or a recovery code), then on to the service;
 * - it has none: a set-up, but only right after the password was typed in this interaction (on an SSO
 *   session the password is asked again first), confirmed by a code mailed to the verified address, then
 *   the app's first code, then the recovery codes shown once.
 * Wrong codes and passwords count toward the account's lockout (Authenticator.checkSecret). It ends with
 * interactionFinished: a `login` with the session's new amr/acr and its original auth time.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Account } from '../src/accounts/account.js';
import type { Authenticator, AuthResult } from '../src/accounts/authenticate.js';
import { AppError } from '../src/errors.js';
import { pageContext } from '../src/http/context.js';
import { enrolmentCodeMail } from '../src/mail/mfa.js';
import { loginName } from '../src/mail/account.js';
import { PASSWORD_AMR, withSecondFactor, type SecondFactorAmr } from '../src/mfa/assurance.js';
import { Enrolments, type Enrolment } from '../src/mfa/enrolment.js';
import { notifyMfaChange } from '../src/mfa/notices.js';
import { DuplicateMethodName, METHOD_NAME_MAX, type Verified } from '../src/mfa/second-factors.js';
import { parseResponse, Passkeys } from '../src/mfa/webauthn.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { groupedSecret, qrSvg, totpUri } from '../src/mfa/totp.js';
import { passwordTypedNow, SECOND_FACTOR_PROMPT, type SecondFactorResult } from '../src/policy/second-factor.js';
import { loginResult } from '../src/provider.js';
import type { Services } from '../src/services.js';
import { field, form } from './forms.js';
import { perIp } from './recovery.js';
import { delayMessage } from './signin.js';
import type { SafeHtml } from './views/html.js';
import { enrolAppPage, enrolMailPage, noEmailPage, passwordAgainPage, recoveryCodesPage, secondFactorPage, type Leave } from './views/second-factor.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
interface Step { details: Details; account: Account; clientId: string; clientName: string; base: string; fresh: boolean }

function send(ctx: Context, body: SafeHtml, status = 200) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body.value;
}

/** m•••@example.org: enough for the holder to recognise, not a gift to someone holding only the password. */
export const maskedEmail = (email: string) => email.replace(/^(.)[^@]*(@.*)$/, '$1•••$2');

/** The name a person gave a method, or the default; undefined when too long. */
export function methodName(ctx: Context): string | undefined {
  const typed = field(ctx, 'name', METHOD_NAME_MAX);
  return typed === undefined ? undefined : typed || ctx.state.t('mfa.app.default_name');
}

/** The set-up steps (mailed code, app, recovery codes) shared by the sign-in and the personal area. */
export function enrolmentPages(s: Services, auth: Authenticator, enrolments: Enrolments) {
  const wrong = (ctx: Context, result: AuthResult, key: 'mfa.enrol.mail_wrong' | 'mfa.app.code_wrong') => delayMessage(ctx, s, result, 'mfa.locked') ?? ctx.state.t(key);

  return {
    /** The page for wherever the set-up stands. */
    async show(ctx: Context, v: { account: Account; flow: Enrolment | undefined; action: string; intro?: string; leave: Leave; doneLabel: string; doneMethod: 'post' | 'get' }, status = 200) {
      const { t } = ctx.state;
      const page = pageContext(ctx, ctx.path);
      if (!v.account.email || !v.account.emailVerified) return send(ctx, noEmailPage(page, { message: t('mfa.no_email'), leave: v.leave }), 409);
      if (v.flow?.state === 'confirmed') return this.app(ctx, v.account, v.flow, v.action, v.leave, { name: '', code: '', errors: {} }, status);
      if (v.flow?.state === 'enrolled') return send(ctx, recoveryCodesPage(page, { action: v.doneMethod === 'post' ? `${v.action}/done` : v.action, continueLabel: v.doneLabel, method: v.doneMethod }), status);
      send(ctx, enrolMailPage(page, { action: v.action, intro: v.intro, email: maskedEmail(v.account.email), sent: v.flow?.state === 'mailed', code: '', leave: v.leave }), status);
    },

    async app(ctx: Context, account: Account, flow: Enrolment, action: string, leave: Leave, typed: { name: string; code: string; errors: { name?: string; code?: string } }, status = 200) {
      const secret = enrolments.secretOf(flow);
      const svg = await qrSvg(totpUri(secret, ctx.state.t('app.name'), loginName(account)));
      send(ctx, enrolAppPage(pageContext(ctx, ctx.path), { action, qrSvg: svg, secret: groupedSecret(secret), leave, ...typed }), status);
    },

    /** Sends (or sends again) the code to the verified address. */
    async mail(ctx: Context, account: Account, scope: string): Promise<'sent' | 'limit'> {
      try {
        const { code } = await enrolments.start(account, scope);
        await s.mailer.send(enrolmentCodeMail({ locale: ctx.state.locale, to: account.email!, givenName: account.givenName, code, minutes: s.config.twoFactorEnrolmentCodeMinutes }));
        await s.audit.record({ action: 'mfa.enrolment_mailed', actor: `account:${account.id}`, accountId: account.id, ip: ctx.ip });
        return 'sent';
      } catch (err) {
        if (err instanceof AppError && err.code === 'mfa.mail_limit') return 'limit';
        throw err;
      }
    },

    /** (Re)sends the code and goes back to the page; past the hourly limit, the page says so. */
    async sendPosted(ctx: Context, account: Account, scope: string, action: string, leave: Leave) {
      if ((await this.mail(ctx, account, scope)) === 'sent') return ctx.redirect(action);
      const flow = await enrolments.current(account.id, scope);
      send(ctx, enrolMailPage(pageContext(ctx, action), {
        action, email: maskedEmail(account.email!), sent: flow?.state === 'mailed', code: '', error: ctx.state.t('mfa.mail_limit'), leave,
      }), 429);
    },

    /** The mailed code posted: on to the app's step, or the page again with why. */
    async emailPosted(ctx: Context, account: Account, flow: Enrolment, action: string, leave: Leave) {
      const error = await this.confirmMail(ctx, account, flow);
      if (!error) return ctx.redirect(action);
      send(ctx, enrolMailPage(pageContext(ctx, action), {
        action, email: maskedEmail(account.email!), sent: true, code: field(ctx, 'code', 16) ?? '', error, leave,
      }), 422);
    },

    /** The mailed code; an error message when it is wrong (counted toward the lockout). */
    async confirmMail(ctx: Context, account: Account, flow: Enrolment): Promise<string | undefined> {
      const typed = field(ctx, 'code', 16) ?? '';
      const result = await auth.checkSecret(account, ctx.ip, () => enrolments.confirmMail(flow, typed));
      return result.kind === 'ok' ? undefined : wrong(ctx, result, 'mfa.enrol.mail_wrong');
    },

    /**
     * The app's first code and its name. Added: the recovery codes to show (when new ones were made) —
     * the holder is mailed; otherwise the set-up page again with its errors.
     */
    async confirmApp(ctx: Context, account: Account, flow: Enrolment, action: string, leave: Leave, newRecoveryCodes: boolean): Promise<{ added: true; recoveryCodes?: string[] } | { added: false }> {
      const { t } = ctx.state;
      const name = methodName(ctx);
      const code = field(ctx, 'code', 16) ?? '';
      const again = async (errors: { name?: string; code?: string }) => {
        await this.app(ctx, account, flow, action, leave, { name: name ?? '', code, errors }, 422);
        return { added: false as const };
      };
      if (name === undefined) return again({ name: t('mfa.app.name_long') });
      if ((await s.secondFactors.list(account.id)).some((m) => m.name === name)) return again({ name: t('mfa.app.name_taken') });
      let added: Awaited<ReturnType<Enrolments['confirmApp']>>;
      try {
        const result = await auth.checkSecret(account, ctx.ip, async () => Boolean(added = await enrolments.confirmApp(flow, name, code, { newRecoveryCodes })));
        if (result.kind !== 'ok' || !added) return again({ code: wrong(ctx, result, 'mfa.app.code_wrong') });
      } catch (err) {
        if (err instanceof DuplicateMethodName) return again({ name: t('mfa.app.name_taken') });
        throw err;
      }
      await s.audit.record({ action: 'mfa.added', actor: `account:${account.id}`, accountId: account.id, ip: ctx.ip, details: { kind: 'totp', method: added.method.id } });
      notifyMfaChange(s, auth.issuer, account, { kind: 'added', name });
      return { added: true, recoveryCodes: added.recoveryCodes };
    },
  };
}

export function secondFactorRoutes(provider: Provider, s: Services, auth: Authenticator): Router {
  const router = new Router();
  const enrolments = new Enrolments(s);
  const pages = enrolmentPages(s, auth, enrolments);
  const path = `/interaction/:uid/${SECOND_FACTOR_PROMPT}`;
  const limited = perIp(s, 'second-factor');
  const passkeys = new Passkeys(s, provider.issuer);

  /** The interaction, when it is at this step; otherwise sends the browser to wherever it is. */
  async function step(ctx: Context): Promise<Step | undefined> {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const account = details.session?.accountId ? await s.accounts.findById(details.session.accountId) : undefined;
    if (details.prompt.name !== SECOND_FACTOR_PROMPT || details.uid !== ctx.params.uid || !account) {
      ctx.redirect(`/interaction/${details.uid}`);
      return undefined;
    }
    const clientId = String(details.params.client_id);
    const client = await provider.Client.find(clientId);
    return {
      details, account, clientId, clientName: client?.clientName ?? clientId,
      base: `/interaction/${details.uid}/${SECOND_FACTOR_PROMPT}`, fresh: passwordTypedNow(details.lastSubmission),
    };
  }

  const leave = (ctx: Context, st: Step): Leave => ({ action: `/interaction/${st.details.uid}/abort`, label: ctx.state.t('login.cancel') });

  /** Back to oidc-provider with the second factor added to the session (its auth time unchanged). */
  async function finish(ctx: Context, st: Step, factor: SecondFactorAmr) {
    const amr = withSecondFactor(st.details.session!.amr, factor);
    const loginTs = (st.details.prompt.details as { login_ts?: number | null }).login_ts;
    const done: SecondFactorResult = { sso: !st.fresh };
    await provider.interactionFinished(ctx.req, ctx.res, {
      login: loginResult(s.clock, st.account.id, amr, loginTs),
      [SECOND_FACTOR_PROMPT]: done,
    }, { mergeWithLastSubmission: true });
  }

  async function render(ctx: Context, st: Step, error?: string, status = 200) {
    const { t } = ctx.state;
    const page = pageContext(ctx, st.base);
    const flow = await enrolments.current(st.account.id, st.details.uid);
    if (flow?.state === 'enrolled') return pages.show(ctx, { account: st.account, flow, action: st.base, leave: leave(ctx, st), doneLabel: t('mfa.codes.continue'), doneMethod: 'post' });
    if (await s.secondFactors.has(st.account.id)) {
      // A passkey's challenge is made with the page, kept for this interaction only.
      const passkeyOptions = await passkeys.has(st.account.id) ? await passkeys.authenticationOptions(st.account.id, st.details.uid) : undefined;
      return send(ctx, secondFactorPage(page, { action: st.base, clientName: st.clientName, code: '', error, leave: leave(ctx, st), passkeyOptions }), status);
    }
    if (!st.fresh) {
      return send(ctx, passwordAgainPage(page, {
        action: `${st.base}/password`, intro: t('mfa.password.signin_intro', { client: st.clientName }), login: loginName(st.account), error, leave: leave(ctx, st),
      }), status);
    }
    return pages.show(ctx, {
      account: st.account, flow, action: st.base, intro: t(st.account.userType === 'federated' ? 'mfa.enrol.signin_intro_federated' : 'mfa.enrol.signin_intro', { client: st.clientName }), leave: leave(ctx, st), doneLabel: t('mfa.codes.continue'), doneMethod: 'post',
    }, status);
  }

  router.get(path, async (ctx) => {
    const st = await step(ctx);
    if (st) await render(ctx, st);
  });

  // A code from the app, or a recovery code.
  router.post(path, limited, form, async (ctx) => {
    const st = await step(ctx);
    if (!st) return;
    const { account } = st;
    const typed = field(ctx, 'code', 32) ?? '';
    if (!typed.trim()) return render(ctx, st, ctx.state.t('mfa.verify.required'), 422);
    if (!(await s.secondFactors.has(account.id))) return ctx.redirect(st.base);
    const verified: { v: Verified } = { v: { ok: false } };
    const result = await auth.checkSecret(account, ctx.ip, async () => (verified.v = await s.secondFactors.verifyCode(account.id, typed)).ok);
    const v = verified.v;
    if (result.kind !== 'ok' || !v.ok) {
      await s.audit.record({ action: 'mfa.failed', actor: `account:${account.id}`, accountId: account.id, clientId: st.clientId, ip: ctx.ip, details: { reason: result.kind } });
      return render(ctx, st, delayMessage(ctx, s, result, 'mfa.locked') ?? ctx.state.t('mfa.verify.wrong'), 422);
    }
    await s.audit.record({ action: 'mfa.verified', actor: `account:${account.id}`, accountId: account.id, clientId: st.clientId, ip: ctx.ip, details: { via: v.via, sso: !st.fresh } });
    if (v.via === 'recovery_code') notifyMfaChange(s, provider.issuer, account, { kind: 'code_used', left: v.left });
    await finish(ctx, st, v.amr);
  });

  // A passkey's assertion: counted toward the lockout like a wrong code.
  router.post(`${path}/passkey`, limited, form, async (ctx) => {
    const st = await step(ctx);
    if (!st) return;
    const { account } = st;
    const posted = field(ctx, 'response', 16_384);
    // Nothing posted: the person cancelled the browser's dialog, which proves nothing either way.
    if (posted === '') return render(ctx, st, ctx.state.t('mfa.passkey.wrong'), 422);
    const response = parseResponse<AuthenticationResponseJSON>(posted);
    let verified: Verified = { ok: false };
    const result = await auth.checkSecret(account, ctx.ip, async () => Boolean(response) && (verified = await passkeys.verify(account.id, st.details.uid, response!)).ok);
    if (result.kind !== 'ok' || !verified.ok) {
      await s.audit.record({ action: 'mfa.failed', actor: `account:${account.id}`, accountId: account.id, clientId: st.clientId, ip: ctx.ip, details: { reason: result.kind, via: 'webauthn' } });
      return render(ctx, st, delayMessage(ctx, s, result, 'mfa.locked') ?? ctx.state.t('mfa.passkey.wrong'), 422);
    }
    const v = verified as Extract<Verified, { ok: true }>;
    await s.audit.record({ action: 'mfa.verified', actor: `account:${account.id}`, accountId: account.id, clientId: st.clientId, ip: ctx.ip, details: { via: 'webauthn', sso: !st.fresh } });
    await finish(ctx, st, v.amr);
  });

  // Before a set-up on an SSO session: the password again, as a new login of this same account.
  router.post(`${path}/password`, limited, form, async (ctx) => {
    const st = await step(ctx);
    if (!st) return;
    if (st.fresh || await s.secondFactors.has(st.account.id)) return ctx.redirect(st.base);
    const password = field(ctx, 'password', 128, { trim: false }) ?? '';
    const { account } = st;
    const result = await auth.checkSecret(account, ctx.ip, async () => Boolean(password) && (await s.hasher.verify(account.passwordHash, password)).ok);
    if (result.kind !== 'ok') {
      await s.audit.record({ action: 'login.failed', actor: `account:${account.id}`, accountId: account.id, clientId: st.clientId, ip: ctx.ip, details: { reason: result.kind, step: 'second_factor' } });
      return render(ctx, st, delayMessage(ctx, s, result) ?? ctx.state.t('mfa.password.wrong'), 422);
    }
    await s.audit.record({ action: 'login.succeeded', actor: `account:${account.id}`, accountId: account.id, clientId: st.clientId, ip: ctx.ip, details: { step: 'second_factor' } });
    await provider.interactionFinished(ctx.req, ctx.res, { login: loginResult(s.clock, account.id, PASSWORD_AMR) }, { mergeWithLastSubmission: false });
  });

  /** The set-up steps: only with no method yet and right after the password. */
  async function enrolling(ctx: Context): Promise<Step | undefined> {
    const st = await step(ctx);
    if (!st) return undefined;
    if (!st.fresh || await s.secondFactors.has(st.account.id)) {
      ctx.redirect(st.base);
      return undefined;
    }
    return st;
  }

  router.post(`${path}/send`, limited, form, async (ctx) => {
    const st = await enrolling(ctx);
    if (!st) return;
    if (!st.account.email || !st.account.emailVerified) return render(ctx, st);
    await pages.sendPosted(ctx, st.account, st.details.uid, st.base, leave(ctx, st));
  });

  router.post(`${path}/email`, limited, form, async (ctx) => {
    const st = await enrolling(ctx);
    if (!st) return;
    const flow = await enrolments.current(st.account.id, st.details.uid);
    if (flow?.state !== 'mailed') return ctx.redirect(st.base);
    await pages.emailPosted(ctx, st.account, flow, st.base, leave(ctx, st));
  });

  router.post(`${path}/app`, limited, form, async (ctx) => {
    const st = await enrolling(ctx);
    if (!st) return;
    const flow = await enrolments.current(st.account.id, st.details.uid);
    if (flow?.state !== 'confirmed') return ctx.redirect(st.base);
    const outcome = await pages.confirmApp(ctx, st.account, flow, st.base, leave(ctx, st), false);
    if (!outcome.added) return;
    send(ctx, recoveryCodesPage(pageContext(ctx, st.base), { action: `${st.base}/done`, codes: outcome.recoveryCodes, continueLabel: ctx.state.t('mfa.codes.continue'), method: 'post' }));
  });

  // The recovery codes were shown: on to the service, the app's first code being the second factor.
  router.post(`${path}/done`, limited, form, async (ctx) => {
    const st = await step(ctx);
    if (!st) return;
    const flow = await enrolments.current(st.account.id, st.details.uid);
    if (flow?.state !== 'enrolled' || !(await enrolments.finish(flow))) return ctx.redirect(st.base);
    await finish(ctx, st, 'otp');
  });

  return router;
}

