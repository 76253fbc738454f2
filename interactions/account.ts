/**
 * The personal area at /account: profile, password and email changes, sessions and services, recent
 * sign-ins, linked institution accounts; and the pages of the email-change links.
 *
 * Who is signed in is Porta's own SSO session (provider.Session.get). Without one, /account starts a real
 * authorization request for the built-in first-party client `porta-account` (response_type=none, back to
 * /account), so sign-in runs every policy check a relying service's would — expired password included.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { ClientMetadata } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { Account } from '../src/accounts/account.js';
import { formatPhone } from '../src/accounts/validation.js';
import { AppError } from '../src/errors.js';
import { EmailChange } from '../src/flows/email-change.js';
import { newPasswordErrors, PasswordChanges, type PasswordErrors } from '../src/flows/password-change.js';
import { pageContext } from '../src/http/context.js';
import { spend } from '../src/http/rate-limit.js';
import { formatDate, formatDateTime } from '../src/i18n/format.js';
import { isLocale, type MessageKey } from '../src/i18n/index.js';
import { FederatedAccounts } from '../src/federation/accounts.js';
import { displayName } from '../src/federation/registry.js';
import { inBackground } from '../src/flows/background.js';
import { institutionUnlinkedMail } from '../src/mail/federation.js';
import { loginName } from '../src/mail/account.js';
import { passwordExpiresAt, passwordExpiryState } from '../src/policy/password-expiry.js';
import { sessionLifetimeSeconds } from '../src/provider.js';
import type { Services } from '../src/services.js';
import { AccountSessions } from '../src/storage/sessions.js';
import { field, form } from './forms.js';
import { perIp, renderLinkProblem } from './recovery.js';
import {
  accountPage, changeEmailPage, changePasswordPage, emailConfirmedPage, emailConfirmPage, emailReportedPage, emailReportPage, emailSentPage, notSignedInPage,
  type AccountView,
} from './views/account.js';

export const ACCOUNT_CLIENT_ID = 'porta-account';

/** The personal area's own client: first party (no consent), no tokens, only a session. */
export function accountClient(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID, client_name: 'Porta', redirect_uris: [`${issuer}/account`],
    response_types: ['none'], grant_types: [], token_endpoint_auth_method: 'none', first_party: true,
  };
}

/** Where to go after signing in (the authorization request's `state`). */
const RETURN_TO = { account: '/account', password: '/account/password', email: '/account/email', 'two-factor': '/account/two-factor' } as const;
const NOTICES: Record<string, MessageKey> = { password: 'account.done.password', session: 'account.done.session', service: 'account.done.service', unlinked: 'account.done.unlinked', nothing: 'account.done.nothing' };
/** Re-entered passwords per account per hour (a stolen session must not become a password oracle). */
const PASSWORD_CHECKS_PER_HOUR = 10;

export const hasPassword = (a: Account) => Boolean(a.passwordHash) && a.userType !== 'federated';

type Session = Awaited<ReturnType<Provider['Session']['get']>>;
export interface SignedIn { account: Account; session: Session }

/**
 * Who is signed in to the personal area, the sign-in that leads back to a page of it, and how its pages
 * are sent: shared by every module of the personal area (this one, two-factor, passkeys).
 */
export function accountSession(provider: Provider, s: Services) {
  const { issuer } = provider;
  async function signedIn(ctx: Context): Promise<SignedIn | undefined> {
    const session = await provider.Session.get(ctx);
    if (!session.accountId) return undefined;
    const account = await s.accounts.findById(session.accountId);
    // A disabled account is signed out, as oidc-provider's findAccount treats it. An expired password counts
    // as signed out too: the sign-in it is sent to runs the password_expired check, which asks for a new
    // password first, as for any service.
    if (account?.status !== 'active' || passwordExpiryState(account, s.config, s.clock.now()) === 'expired') return undefined;
    // Using the personal area is using the session: its idle timeout starts again.
    await session.save(sessionLifetimeSeconds(s.config, s.clock.now(), session.loginTs));
    return { account, session };
  }

  const signInUrl = (returnTo: keyof typeof RETURN_TO) => `${issuer}/auth?${new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID, response_type: 'none', scope: 'openid', redirect_uri: `${issuer}/account`, state: returnTo,
  }).toString()}`;

  function show(ctx: Context, page: { value: string }, status = 200) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = page.value;
  }
  return { signedIn, signInUrl, show };
}

export function accountRoutes(provider: Provider, s: Services): Router {
  const router = new Router();
  const { issuer } = provider;
  const changes = new PasswordChanges(s, issuer);
  const sessions = new AccountSessions(s.db, s.clock);
  const emailChange = new EmailChange(s, issuer);
  const passwordChecks = s.rateLimits.limiter('account-password-check', PASSWORD_CHECKS_PER_HOUR, 3600);
  const { signedIn, signInUrl, show } = accountSession(provider, s);
  const federated = new FederatedAccounts(s);

  const translate = (ctx: Context, errors: Partial<Record<string, MessageKey>>) =>
    Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v && ctx.state.t(v)]));

  async function clientNames(ctx: Context, ids: string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const id of new Set(ids)) {
      if (id === ACCOUNT_CLIENT_ID) names.set(id, ctx.state.t('account.this_service'));
      else names.set(id, (await provider.Client.find(id))?.clientName ?? id);
    }
    return names;
  }

  async function view(ctx: Context, { account, session }: SignedIn): Promise<AccountView> {
    const { locale, t } = ctx.state;
    const tz = s.config.timeZone;
    const [open, grants, logins, pending, methods] = await Promise.all([
      sessions.sessions(account.id), sessions.grants(account.id), sessions.recentSignIns(account.id), emailChange.pending(account.id), s.secondFactors.list(account.id),
    ]);
    const services = grants.filter((g) => g.clientId !== ACCOUNT_CLIENT_ID);
    const names = await clientNames(ctx, [...open.flatMap((o) => o.clientIds), ...services.map((g) => g.clientId), ...logins.map((l) => l.clientId ?? '')]);
    const expiresAt = passwordExpiresAt(account, s.config);
    const changedAt = account.passwordChangedAt;
    const notice = typeof ctx.query.done === 'string' && Object.hasOwn(NOTICES, ctx.query.done) ? t(NOTICES[ctx.query.done]!) : undefined;
    return {
      name: `${account.givenName} ${account.familyName}`, username: account.username, personCode: account.personCode,
      email: account.email, emailVerified: account.emailVerified, phone: account.phone ? formatPhone(account.phone) : null,
      userType: t(`account.user_type.${account.userType}`),
      password: hasPassword(account) ? {
        changedAt: changedAt ? formatDate(locale, changedAt, tz) : undefined,
        expiresAt: expiresAt === undefined ? undefined : formatDate(locale, expiresAt, tz),
        expired: expiresAt !== undefined && s.clock.now() >= expiresAt,
      } : undefined,
      twoFactorMethods: hasPassword(account) ? methods.length : undefined,
      pendingEmail: pending ? { email: pending.data.newEmail, date: formatDate(locale, pending.createdAt, tz) } : undefined,
      notice,
      sessions: open.map((o) => ({
        uid: o.uid, current: o.uid === session.uid, signedIn: o.loginAt ? formatDateTime(locale, o.loginAt, tz) : '',
        services: o.clientIds.map((id) => names.get(id) ?? id),
      })),
      services: services.map((g) => ({ grantId: g.id, name: names.get(g.clientId) ?? g.clientId, since: g.grantedAt ? formatDate(locale, g.grantedAt, tz) : '' })),
      logins: logins.map((l) => ({ when: formatDateTime(locale, l.at, tz), ip: l.ip ?? '', service: l.clientId ? names.get(l.clientId) ?? l.clientId : '' })),
      // An institution can be unlinked only while a password remains to sign in with.
      linked: (await federated.identities(account.id)).map((i) => {
        const idp = s.federation.find(i.idp);
        return { id: i.id, institution: idp ? displayName(idp, locale as string) : i.idp, since: formatDate(locale, i.createdAt, tz), canUnlink: hasPassword(account) };
      }),
    };
  }

  /** Re-entering the password costs one check from the account's hourly allowance. */
  const spendPasswordCheck = (account: Account) => spend(passwordChecks, `account:${account.id}`);

  router.get('/account', async (ctx) => {
    const me = await signedIn(ctx);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : undefined;
    if (!me) {
      // Back from the sign-in without a session (cancelled, or refused): say so rather than loop.
      if (state !== undefined || ctx.query.error !== undefined) return show(ctx, notSignedInPage(pageContext(ctx, '/account')));
      return ctx.redirect(signInUrl('account'));
    }
    // Back from the sign-in: drop the response parameters from the address bar.
    if (state !== undefined || ctx.query.iss !== undefined) return ctx.redirect(Object.hasOwn(RETURN_TO, state ?? '') ? RETURN_TO[state as keyof typeof RETURN_TO] : '/account');
    show(ctx, accountPage(pageContext(ctx, ctx.originalUrl), await view(ctx, me)));
  });

  router.get('/account/signin', (ctx) => ctx.redirect(signInUrl('account')));

  router.post('/account/sessions/end', perIp(s, 'account-sessions'), form, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return ctx.redirect('/account');
    const uid = field(ctx, 'session', 64) ?? '';
    const ended = uid ? await sessions.endSession(me.account.id, uid) : false;
    if (ended) await s.audit.record({ action: 'session.ended', actor: `account:${me.account.id}`, accountId: me.account.id, ip: ctx.ip, details: { via: 'account', current: uid === me.session.uid } });
    ctx.status = 303;
    ctx.redirect(`/account?done=${ended ? 'session' : 'nothing'}`);
  });

  router.post('/account/services/revoke', perIp(s, 'account-services'), form, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return ctx.redirect('/account');
    const grantId = field(ctx, 'grant', 255) ?? '';
    const grant = (await sessions.grants(me.account.id)).find((g) => g.id === grantId);
    const revoked = grant ? await sessions.revokeGrant(me.account.id, grant.id) : false;
    if (revoked) await s.audit.record({ action: 'grant.revoked', actor: `account:${me.account.id}`, accountId: me.account.id, clientId: grant!.clientId, ip: ctx.ip, details: { via: 'account' } });
    ctx.status = 303;
    ctx.redirect(`/account?done=${revoked ? 'service' : 'nothing'}`);
  });

  router.post('/account/institutions/unlink', perIp(s, 'account-institutions'), form, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return ctx.redirect('/account');
    const id = field(ctx, 'identity', 64) ?? '';
    const unlinked = id && hasPassword(me.account) ? await federated.unlink(me.account.id, id, { ip: ctx.ip }) : undefined;
    if (unlinked && me.account.email) {
      const locale = isLocale(me.account.locale) ? me.account.locale : s.config.defaultLocale;
      const idp = s.federation.find(unlinked.idp);
      const to = me.account.email;
      inBackground(s, 'institution unlinked notice', () => s.mailer.send(institutionUnlinkedMail({
        locale, to, givenName: me.account.givenName, institution: idp ? displayName(idp, locale) : unlinked.idp, accountUrl: `${issuer}/account`,
      })));
    }
    ctx.status = 303;
    ctx.redirect(`/account?done=${unlinked ? 'unlinked' : 'nothing'}`);
  });

  router.get('/account/password', async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return ctx.redirect(signInUrl('password'));
    if (!hasPassword(me.account)) return ctx.redirect('/account');
    show(ctx, changePasswordPage(pageContext(ctx, ctx.originalUrl), { login: loginName(me.account), errors: {} }));
  });

  router.post('/account/password', perIp(s, 'account-password'), form, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return ctx.redirect('/account');
    const { account, session } = me;
    if (!hasPassword(account)) return ctx.redirect('/account');
    await spendPasswordCheck(account);
    const current = field(ctx, 'current', 128, { trim: false }) ?? '';
    const password = field(ctx, 'password', 128, { trim: false });
    const errors: PasswordErrors = newPasswordErrors(account, password, field(ctx, 'password_confirm', 128, { trim: false }));
    const { ok } = await s.hasher.verify(account.passwordHash, current);
    if (!current) errors.current = 'field.required';
    else if (!ok) {
      errors.current = 'newpw.current_wrong';
      await s.audit.record({ action: 'password.change_refused', actor: `account:${account.id}`, accountId: account.id, ip: ctx.ip, details: { reason: 'current_wrong' } });
    } else if (!errors.password && password === current) errors.password = 'newpw.same';
    if (Object.keys(errors).length) {
      return show(ctx, changePasswordPage(pageContext(ctx, '/account/password'), { login: loginName(account), errors: translate(ctx, errors) }));
    }
    await changes.change(account, password!, { ip: ctx.ip, clientId: ACCOUNT_CLIENT_ID, locale: ctx.state.locale, reason: 'account', keep: { sessionId: session.jti } });
    ctx.status = 303;
    ctx.redirect('/account?done=password');
  });

  router.get('/account/email', async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return ctx.redirect(signInUrl('email'));
    if (!hasPassword(me.account)) return ctx.redirect('/account');
    show(ctx, changeEmailPage(pageContext(ctx, ctx.originalUrl), { currentEmail: me.account.email, email: '', errors: {} }));
  });

  router.post('/account/email', perIp(s, 'account-email'), form, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return ctx.redirect('/account');
    const { account } = me;
    if (!hasPassword(account)) return ctx.redirect('/account');
    await spendPasswordCheck(account);
    const email = field(ctx, 'email', 254);
    const outcome = await emailChange.request(account, { email, password: field(ctx, 'password', 128, { trim: false }) }, { ip: ctx.ip, locale: ctx.state.locale });
    if (!outcome.ok) {
      return show(ctx, changeEmailPage(pageContext(ctx, '/account/email'), { currentEmail: account.email, email: email ?? '', errors: translate(ctx, outcome.errors) }));
    }
    show(ctx, emailSentPage(pageContext(ctx, '/account'), { email: outcome.newEmail, hours: emailChange.ttlHours }));
  });

  // The link sent to the new address: a page with a button; only the POST spends it.
  router.get('/account/email/confirm', async (ctx) => {
    try {
      const { flow } = await emailChange.openConfirm(ctx.query.token);
      show(ctx, emailConfirmPage(pageContext(ctx, ctx.originalUrl), { token: String(ctx.query.token), email: flow.data.newEmail }));
    } catch (err) {
      renderLinkProblem(ctx, s, err, 'email');
    }
  });

  router.post('/account/email/confirm', perIp(s, 'email-confirm'), form, async (ctx) => {
    try {
      const { newEmail } = await emailChange.confirm(field(ctx, 'token', 64) ?? '', { ip: ctx.ip });
      show(ctx, emailConfirmedPage(pageContext(ctx, '/account'), { email: newEmail }));
    } catch (err) {
      renderLinkProblem(ctx, s, err, 'email');
    }
  });

  // The link sent to the old address: "it wasn't me".
  router.get('/account/email/report', async (ctx) => {
    try {
      const flow = await emailChange.openReport(ctx.query.token);
      show(ctx, emailReportPage(pageContext(ctx, ctx.originalUrl), { token: String(ctx.query.token), newEmail: flow.data.newEmail }));
    } catch (err) {
      renderLinkProblem(ctx, s, err, 'report');
    }
  });

  router.post('/account/email/report', perIp(s, 'email-report'), form, async (ctx) => {
    try {
      const outcome = await emailChange.report(field(ctx, 'token', 64) ?? '', { ip: ctx.ip });
      show(ctx, emailReportedPage(pageContext(ctx, '/'), outcome));
    } catch (err) {
      if (err instanceof AppError) return renderLinkProblem(ctx, s, err, 'report');
      throw err;
    }
  });

  return router;
}
