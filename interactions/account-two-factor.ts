/**
 * Two-factor authentication in the personal area, /account/two-factor: the methods (name, type, when
 * added, last used), adding an authenticator app (the sign-in's set-up steps: mailed code, app, recovery
 * codes for a first method), renaming, removing, new recovery codes. Every change first asks the
 * re-proof (`reproof` below → src/mfa/reproof.ts): the password and a current second factor, counted
 * toward the lockout. The holder is mailed on every change. Adding a passkey (`passkeys` option): a
 * name and the re-proof, then the browser creates it (views/passkeys.ts, src/mfa/webauthn.ts).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Account } from '../src/accounts/account.js';
import type { Authenticator } from '../src/accounts/authenticate.js';
import { pageContext } from '../src/http/context.js';
import { formatDateTime } from '../src/i18n/format.js';
import type { MessageKey } from '../src/i18n/index.js';
import { Enrolments } from '../src/mfa/enrolment.js';
import { notifyMfaChange } from '../src/mfa/notices.js';
import { codeProof, reproveForChange, type SecondFactorProof } from '../src/mfa/reproof.js';
import { DuplicateMethodName, METHOD_NAME_MAX, type Method } from '../src/mfa/second-factors.js';
import { parseResponse, Passkeys } from '../src/mfa/webauthn.js';
import type { Services } from '../src/services.js';
import { isUniqueViolation } from '../src/storage/db.js';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { accountSession, hasPassword, type SignedIn } from './account.js';
import { field, form } from './forms.js';
import { perIp } from './recovery.js';
import { enrolmentPages } from './second-factor.js';
import { delayMessage } from './signin.js';
import { changePage, TWO_FACTOR_PATH, twoFactorPage, type ReproofErrors } from './views/account-two-factor.js';
import { passkeyCreatePage } from './views/passkeys.js';
import { recoveryCodesPage, type Leave } from './views/second-factor.js';

const NOTICES: Record<string, MessageKey> = {
  added: 'mfa.account.done.added', passkey_added: 'mfa.account.done.passkey_added', renamed: 'mfa.account.done.renamed', removed: 'mfa.account.done.removed',
};
const METHOD_ID = /^[\w-]{1,43}$/;

/**
 * The re-proof of a posted form (fields `password` and `code`; `secondFactor` replaces the code, e.g.
 * a passkey's assertion): undefined when proved, else the errors to show next to the fields. Empty
 * fields are answered without counting; a wrong password or factor counts like a wrong sign-in.
 */
export async function reproof(ctx: Context, s: Services, auth: Authenticator, account: Account, change: string, secondFactor?: SecondFactorProof): Promise<ReproofErrors | undefined> {
  const { t } = ctx.state;
  const password = field(ctx, 'password', 128, { trim: false }) ?? '';
  const code = field(ctx, 'code', 32) ?? '';
  const hasFactor = await s.secondFactors.has(account.id);
  const missing: ReproofErrors = {
    ...(password ? {} : { password: t('field.required') }),
    ...(hasFactor && !secondFactor && !code.trim() ? { code: t('mfa.verify.required') } : {}),
  };
  if (Object.keys(missing).length) return missing;
  const outcome = await reproveForChange(s, auth, account, ctx.ip, { password, secondFactor: secondFactor ?? codeProof(s, account.id, code), change });
  if (outcome.ok) return undefined;
  return { password: delayMessage(ctx, s, outcome.result, 'mfa.locked') ?? t(hasFactor ? 'mfa.reproof.wrong' : 'mfa.password.wrong') };
}

export function accountTwoFactorRoutes(provider: Provider, s: Services, auth: Authenticator, options: { passkeys?: boolean } = {}): Router {
  const router = new Router();
  const { signedIn, signInUrl, show } = accountSession(provider, s);
  const enrolments = new Enrolments(s);
  const pages = enrolmentPages(s, auth, enrolments);
  const limited = perIp(s, 'account-two-factor');
  const appPath = `${TWO_FACTOR_PATH}/app`;
  /** An enrolment started here belongs to this session of the personal area. */
  const scopeOf = (me: SignedIn) => `account:${me.session.uid}`;

  const passkeys = new Passkeys(s, provider.issuer);
  const current = new WeakMap<Context, SignedIn>();

  /**
   * A change's page; with passkeys on record, its re-proof may use one instead of a code (a challenge
   * for this personal-area session comes with the page).
   */
  async function showChange(ctx: Context, path: string, view: Parameters<typeof changePage>[1], status = 200) {
    const signed = current.get(ctx);
    const withPasskey = options.passkeys && view.hasFactor && signed && await passkeys.has(signed.account.id);
    const passkeyOptions = withPasskey ? await passkeys.authenticationOptions(signed.account.id, scopeOf(signed)) : undefined;
    show(ctx, changePage(pageContext(ctx, path), { ...view, passkeyOptions }), status);
  }

  /** The re-proof of a change, with the passkey's assertion when one was posted instead of a code. */
  function reproofHere(ctx: Context, account: Account, change: string) {
    const signed = current.get(ctx);
    const posted = options.passkeys && signed ? field(ctx, 'response', 16_384) : '';
    if (!posted) return reproof(ctx, s, auth, account, change);
    const response = parseResponse<AuthenticationResponseJSON>(posted);
    return reproof(ctx, s, auth, account, change, async () => (response ? passkeys.verify(account.id, scopeOf(signed!), response) : { ok: false }));
  }

  /** Signed in with a password (changes are re-proved with it); otherwise off to sign-in or the overview. */
  async function me(ctx: Context): Promise<SignedIn | undefined> {
    const signed = await signedIn(ctx);
    if (signed && hasPassword(signed.account)) {
      current.set(ctx, signed);
      return signed;
    }
    ctx.redirect(signed ? '/account' : ctx.method === 'GET' ? signInUrl('two-factor') : TWO_FACTOR_PATH);
    return undefined;
  }

  const done = (ctx: Context, what: keyof typeof NOTICES) => {
    ctx.status = 303;
    ctx.redirect(`${TWO_FACTOR_PATH}?done=${what}`);
  };
  const leave = (ctx: Context): Leave => ({ action: TWO_FACTOR_PATH, label: ctx.state.t('mfa.account.back'), method: 'get' });
  const audit = (ctx: Context, account: Account, action: string, details: Record<string, unknown>) =>
    s.audit.record({ action, actor: `account:${account.id}`, accountId: account.id, ip: ctx.ip, details: { via: 'account', ...details } });

  async function methodOf(ctx: Context, account: Account): Promise<Method | undefined> {
    const id = String(ctx.params.id);
    const method = METHOD_ID.test(id) ? (await s.secondFactors.list(account.id)).find((m) => m.id === id) : undefined;
    if (!method) ctx.redirect(TWO_FACTOR_PATH);
    return method;
  }

  router.get(TWO_FACTOR_PATH, async (ctx) => {
    const signed = await me(ctx);
    if (!signed) return;
    const { locale, t } = ctx.state;
    const when = (ms: number | null) => (ms === null ? t('mfa.account.never') : formatDateTime(locale, ms, s.config.timeZone));
    const methods = await s.secondFactors.list(signed.account.id);
    const notice = typeof ctx.query.done === 'string' && Object.hasOwn(NOTICES, ctx.query.done) ? t(NOTICES[ctx.query.done]!) : undefined;
    show(ctx, twoFactorPage(pageContext(ctx, TWO_FACTOR_PATH), {
      methods: methods.map((m) => ({ id: m.id, name: m.name, kind: t(`mfa.kind.${m.kind}`), added: when(m.createdAt), lastUsed: when(m.lastUsedAt) })),
      recoveryCodesLeft: await s.secondFactors.recoveryCodes.left(signed.account.id), notice,
      // A first method is an app (its set-up is confirmed by a mailed code); passkeys come next to it.
      passkeys: options.passkeys && methods.length > 0,
    }));
  });

  // Rename: the new name, then the re-proof.
  async function renamePage(ctx: Context, m: Method, hasFactor: boolean, name: { value: string; error?: string }, errors: ReproofErrors = {}, status = 200) {
    const { t } = ctx.state;
    await showChange(ctx, ctx.path, {
      title: t('mfa.account.rename_title'), intro: t('mfa.account.rename_intro', { name: m.name }), action: `${TWO_FACTOR_PATH}/${m.id}/rename`,
      submit: t('mfa.account.rename_submit'), hasFactor, name, errors,
    }, status);
  }

  router.get(`${TWO_FACTOR_PATH}/:id/rename`, async (ctx) => {
    const signed = await me(ctx);
    const method = signed && await methodOf(ctx, signed.account);
    if (method) await renamePage(ctx, method, true, { value: method.name });
  });

  router.post(`${TWO_FACTOR_PATH}/:id/rename`, limited, form, async (ctx) => {
    const signed = await me(ctx);
    const method = signed && await methodOf(ctx, signed.account);
    if (!signed || !method) return;
    const { account } = signed;
    const { t } = ctx.state;
    const name = field(ctx, 'name', METHOD_NAME_MAX);
    const taken = (await s.secondFactors.list(account.id)).some((m) => m.name === name && m.id !== method.id);
    const nameError = name === undefined ? t('mfa.app.name_long') : !name ? t('field.required') : taken ? t('mfa.app.name_taken') : undefined;
    if (nameError) return renamePage(ctx, method, true, { value: name ?? '', error: nameError }, {}, 422);
    const errors = await reproofHere(ctx, account, 'rename');
    if (errors) return renamePage(ctx, method, true, { value: name! }, errors, 422);
    try {
      if (!(await s.secondFactors.rename(account.id, method.id, name!))) return ctx.redirect(TWO_FACTOR_PATH);
    } catch (err) {
      if (err instanceof DuplicateMethodName) return renamePage(ctx, method, true, { value: name!, error: t('mfa.app.name_taken') }, {}, 422);
      throw err;
    }
    await audit(ctx, account, 'mfa.renamed', { method: method.id });
    if (name !== method.name) notifyMfaChange(s, provider.issuer, account, { kind: 'renamed', name: name!, from: method.name });
    done(ctx, 'renamed');
  });

  // Remove: the re-proof; the last method takes the recovery codes with it.
  async function removePage(ctx: Context, account: Account, m: Method, errors: ReproofErrors = {}, status = 200) {
    const { t } = ctx.state;
    const last = (await s.secondFactors.list(account.id)).length === 1;
    await showChange(ctx, ctx.path, {
      title: t('mfa.account.remove_title'), intro: t('mfa.account.remove_intro', { name: m.name }), warning: last ? t('mfa.account.remove_last') : undefined,
      action: `${TWO_FACTOR_PATH}/${m.id}/remove`, submit: t('mfa.account.remove_submit'), hasFactor: true, errors,
    }, status);
  }

  router.get(`${TWO_FACTOR_PATH}/:id/remove`, async (ctx) => {
    const signed = await me(ctx);
    const method = signed && await methodOf(ctx, signed.account);
    if (method) await removePage(ctx, signed.account, method);
  });

  router.post(`${TWO_FACTOR_PATH}/:id/remove`, limited, form, async (ctx) => {
    const signed = await me(ctx);
    const method = signed && await methodOf(ctx, signed.account);
    if (!signed || !method) return;
    const errors = await reproofHere(ctx, signed.account, 'remove');
    if (errors) return removePage(ctx, signed.account, method, errors, 422);
    const removed = await s.secondFactors.remove(signed.account.id, method.id);
    if (!removed) return ctx.redirect(TWO_FACTOR_PATH);
    await audit(ctx, signed.account, 'mfa.removed', { kind: removed.kind, method: removed.id });
    notifyMfaChange(s, provider.issuer, signed.account, { kind: 'removed', name: removed.name });
    done(ctx, 'removed');
  });

  // New recovery codes: the re-proof, then the codes shown once.
  async function regeneratePage(ctx: Context, errors: ReproofErrors = {}, status = 200) {
    const { t } = ctx.state;
    await showChange(ctx, ctx.path, {
      title: t('mfa.account.regenerate_title'), intro: t('mfa.account.regenerate_intro'), action: `${TWO_FACTOR_PATH}/recovery-codes`,
      submit: t('mfa.account.regenerate_submit'), hasFactor: true, errors,
    }, status);
  }

  router.get(`${TWO_FACTOR_PATH}/recovery-codes`, async (ctx) => {
    const signed = await me(ctx);
    if (!signed) return;
    if (!(await s.secondFactors.has(signed.account.id))) return ctx.redirect(TWO_FACTOR_PATH);
    await regeneratePage(ctx);
  });

  router.post(`${TWO_FACTOR_PATH}/recovery-codes`, limited, form, async (ctx) => {
    const signed = await me(ctx);
    if (!signed) return;
    const { account } = signed;
    if (!(await s.secondFactors.has(account.id))) return ctx.redirect(TWO_FACTOR_PATH);
    const errors = await reproofHere(ctx, account, 'recovery_codes');
    if (errors) return regeneratePage(ctx, errors, 422);
    const codes = await s.secondFactors.recoveryCodes.regenerate(account.id);
    await audit(ctx, account, 'mfa.codes_regenerated', {});
    notifyMfaChange(s, provider.issuer, account, { kind: 'codes_regenerated' });
    show(ctx, recoveryCodesPage(pageContext(ctx, TWO_FACTOR_PATH), { action: TWO_FACTOR_PATH, codes, continueLabel: ctx.state.t('mfa.account.codes_saved'), method: 'get' }));
  });

  // Adding an app: the re-proof starts the sign-in's set-up (mailed code, the app's first code, recovery codes for a first method).
  async function appPage(ctx: Context, signed: SignedIn, errors: ReproofErrors = {}, status = 200) {
    const { t } = ctx.state;
    const { account } = signed;
    const flow = await enrolments.current(account.id, scopeOf(signed));
    if (flow || !account.email || !account.emailVerified) {
      return pages.show(ctx, { account, flow, action: appPath, leave: leave(ctx), doneLabel: t('mfa.codes.continue'), doneMethod: 'post' }, status);
    }
    await showChange(ctx, appPath, {
      title: t('mfa.enrol.title'), intro: t('mfa.account.add_intro'), action: `${appPath}/start`, submit: t('mfa.enrol.send'),
      hasFactor: await s.secondFactors.has(account.id), errors,
    }, status);
  }

  router.get(appPath, async (ctx) => {
    const signed = await me(ctx);
    if (signed) await appPage(ctx, signed);
  });

  router.post(`${appPath}/start`, limited, form, async (ctx) => {
    const signed = await me(ctx);
    if (!signed) return;
    const { account } = signed;
    if (!account.email || !account.emailVerified) return appPage(ctx, signed);
    const errors = await reproofHere(ctx, account, 'add');
    if (errors) return appPage(ctx, signed, errors, 422);
    await pages.sendPosted(ctx, account, scopeOf(signed), appPath, leave(ctx));
  });

  /** The set-up steps after the re-proof: only with an enrolment this session started. */
  async function enrolling(ctx: Context, state: 'mailed' | 'confirmed' | 'enrolled') {
    const signed = await me(ctx);
    if (!signed) return undefined;
    const flow = await enrolments.current(signed.account.id, scopeOf(signed));
    if (flow?.state !== state) {
      ctx.redirect(appPath);
      return undefined;
    }
    return { signed, flow: flow! };
  }

  router.post(`${appPath}/send`, limited, form, async (ctx) => {
    const at = await enrolling(ctx, 'mailed');
    if (at) await pages.sendPosted(ctx, at.signed.account, scopeOf(at.signed), appPath, leave(ctx));
  });

  router.post(`${appPath}/email`, limited, form, async (ctx) => {
    const at = await enrolling(ctx, 'mailed');
    if (at) await pages.emailPosted(ctx, at.signed.account, at.flow, appPath, leave(ctx));
  });

  router.post(`${appPath}/app`, limited, form, async (ctx) => {
    const at = await enrolling(ctx, 'confirmed');
    if (!at) return;
    const outcome = await pages.confirmApp(ctx, at.signed.account, at.flow, appPath, leave(ctx), false);
    if (!outcome.added) return;
    if (!outcome.recoveryCodes) {
      await enrolments.finish(at.flow);
      return done(ctx, 'added');
    }
    show(ctx, recoveryCodesPage(pageContext(ctx, appPath), { action: `${appPath}/done`, codes: outcome.recoveryCodes, continueLabel: ctx.state.t('mfa.codes.continue'), method: 'post' }));
  });

  router.post(`${appPath}/done`, limited, form, async (ctx) => {
    const at = await enrolling(ctx, 'enrolled');
    if (!at) return;
    await enrolments.finish(at.flow);
    done(ctx, 'added');
  });

  if (options.passkeys) passkeyRoutes();

  function passkeyRoutes() {
    const passkeyPath = `${TWO_FACTOR_PATH}/passkey`;

    async function addPage(ctx: Context, name: { value: string; error?: string }, errors: ReproofErrors = {}, warning?: string, status = 200) {
      const { t } = ctx.state;
      await showChange(ctx, passkeyPath, {
        title: t('mfa.passkey.add_title'), intro: t('mfa.passkey.add_intro'), warning, action: `${passkeyPath}/start`, submit: t('mfa.passkey.continue'),
        hasFactor: true, name: { ...name, label: t('mfa.passkey.name_label') }, errors,
      }, status);
    }

    router.get(passkeyPath, async (ctx) => {
      const signed = await me(ctx);
      if (!signed) return;
      // No method yet (the overview offers no passkey then): an app comes first, its set-up confirmed by mail.
      if (!(await s.secondFactors.has(signed.account.id))) return ctx.redirect(appPath);
      await addPage(ctx, { value: '' });
    });

    // The name and the re-proof; then the page whose button has the browser create the passkey.
    router.post(`${passkeyPath}/start`, limited, form, async (ctx) => {
      const signed = await me(ctx);
      if (!signed) return;
      const { account } = signed;
      const { t } = ctx.state;
      if (!(await s.secondFactors.has(account.id))) return ctx.redirect(passkeyPath);
      const typed = field(ctx, 'name', METHOD_NAME_MAX);
      const name = typed === undefined ? undefined : typed || t('mfa.passkey.default_name');
      const taken = (await s.secondFactors.list(account.id)).some((m) => m.name === name);
      const nameError = name === undefined ? t('mfa.app.name_long') : taken ? t('mfa.app.name_taken') : undefined;
      if (nameError) return addPage(ctx, { value: typed ?? '', error: nameError }, {}, undefined, 422);
      const errors = await reproofHere(ctx, account, 'add');
      if (errors) return addPage(ctx, { value: typed! }, errors, undefined, 422);
      const options = await passkeys.registrationOptions(account, scopeOf(signed), name!);
      show(ctx, passkeyCreatePage(pageContext(ctx, passkeyPath), { action: `${passkeyPath}/finish`, options, name: name!, back: TWO_FACTOR_PATH }));
    });

    router.post(`${passkeyPath}/finish`, limited, form, async (ctx) => {
      const signed = await me(ctx);
      if (!signed) return;
      const { account } = signed;
      const response = parseResponse<RegistrationResponseJSON>(field(ctx, 'response', 16_384));
      let added: Awaited<ReturnType<Passkeys['register']>>;
      try {
        added = response && await passkeys.register(account.id, scopeOf(signed), response);
      } catch (err) {
        // Two racing registrations of one name or credential: the database's unique index decides.
        if (!(err instanceof DuplicateMethodName) && !isUniqueViolation(err)) throw err;
      }
      // A failed ceremony starts again from the re-proof: its challenge is spent.
      if (!added) return addPage(ctx, { value: '' }, {}, ctx.state.t('mfa.passkey.create_failed'), 422);
      await audit(ctx, account, 'mfa.added', { kind: 'webauthn', method: added.method.id });
      notifyMfaChange(s, provider.issuer, account, { kind: 'added', name: added.method.name });
      done(ctx, 'passkey_added');
    });
  }

  return router;
}
