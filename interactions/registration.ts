/**
 * Registration pages: the form, "check your inbox", the activation link (GET shows a button, POST uses
 * the single-use token — mail scanners prefetch links), and "didn't get the email?".
 * Result pages after a POST are redirected to (post/redirect/get), their content kept in a short-lived
 * signed cookie of this browser, so the language switch and a reload show the same page.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { checkUsername } from '../src/accounts/account.js';
import { newPasswordErrors } from '../src/flows/password-change.js';
import { checkBirthdate, checkEmail, checkName, checkPhone, type Checked } from '../src/accounts/validation.js';
import { AppError } from '../src/errors.js';
import { FieldErrors, type Registration, type RegistrationInput } from '../src/flows/registration.js';
import { pageContext } from '../src/http/context.js';
import { Throttled } from '../src/http/rate-limit.js';
import type { MessageKey } from '../src/i18n/index.js';
import { helpdesk } from '../src/mail/access.js';
import type { Services } from '../src/services.js';
import { dateParts, field, form } from './forms.js';
import { activatedPage, confirmActivationPage, helpPage, linkProblemPage, registeredPage, registerPage, setPasswordPage, type Errors, type ServiceLink } from './views/registration.js';

const UID = /^[\w-]{1,64}$/;
const DATE_FIELDS = ['birthdate_day', 'birthdate_month', 'birthdate_year'];

/** What a result page shows, kept for this browser only (signed, HttpOnly) for as long as a sign-in lasts. */
interface Registered { email: string; personCode: string; uid?: string }
interface Activated { personCode: string; uid?: string }
function keep(ctx: Context, name: string, value: object, maxAgeMs: number) {
  ctx.cookies.set(name, Buffer.from(JSON.stringify(value)).toString('base64url'), { httpOnly: true, sameSite: 'lax', secure: ctx.secure, signed: true, overwrite: true, maxAge: maxAgeMs });
}
function kept<T>(ctx: Context, name: string): T | undefined {
  const raw = ctx.cookies.get(name, { signed: true });
  try {
    return raw ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as T : undefined;
  } catch {
    return undefined;
  }
}
const REGISTERED = 'porta.registered';
const ACTIVATED = 'porta.activated';

/** Text fields as typed (bounded); an over-long one is remembered as such and not echoed back. */
function readFields(ctx: Context, names: string[]): { values: Record<string, string>; tooLong: Set<string> } {
  const values: Record<string, string> = {};
  const tooLong = new Set<string>();
  for (const name of names) {
    const value = field(ctx, name, 1000);
    if (value === undefined) tooLong.add(name);
    values[name] = value ?? '';
  }
  return { values, tooLong };
}
const interactionOf = (value: unknown) => (typeof value === 'string' && UID.test(value) ? value : undefined);

export function registrationRoutes(provider: Provider, s: Services, registration: Registration, services: ServiceLink[]): Router {
  const router = new Router();
  const { config } = s;
  const keepFor = config.interactionTtlSeconds * 1000;
  const html = (ctx: Context, body: { value: string }, status = 200) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body.value;
  };
  const say = (ctx: Context, errors: Record<string, MessageKey | undefined>): Errors =>
    Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v && ctx.state.t(v, { age: config.registrationMinimumAge })]));

  router.get('/register', (ctx) => {
    html(ctx, registerPage(pageContext(ctx, ctx.originalUrl), { mode: config.registrationMode, values: {}, errors: {}, privacyUrl: config.privacyNoticeUrl, phoneRegion: config.phoneDefaultRegion, interactionUid: interactionOf(ctx.query.interaction) }));
  });

  router.post('/register', form, async (ctx) => {
    const interactionUid = interactionOf((ctx.request.body as Record<string, unknown>).interaction);
    const { values, tooLong } = readFields(ctx, ['given_name', 'family_name', ...DATE_FIELDS, 'phone', 'email', 'username', 'privacy', 'website']);
    const password = field(ctx, 'password', 512, { trim: false });
    const confirm = field(ctx, 'password_confirm', 512, { trim: false });
    const errors: Record<string, MessageKey | undefined> = {};
    const take = <T>(name: string, checked: Checked<T>) => { errors[name] = tooLong.has(name) ? 'field.too_long' : checked.error; return checked.value; };

    const givenName = take('given_name', checkName(values.given_name!));
    const familyName = take('family_name', checkName(values.family_name!));
    const birthdate = take('birthdate', checkBirthdate(dateParts(ctx, 'birthdate'), config.registrationMinimumAge, s.clock.now()));
    const email = take('email', checkEmail(values.email!));
    const phone = take('phone', checkPhone(values.phone!, config.phoneDefaultRegion));
    let username: string | undefined;
    if (config.registrationMode === 'choose-credentials') {
      username = values.username!.normalize('NFKC').trim();
      errors.username = tooLong.has('username') ? 'field.too_long' : username ? checkUsername(username) : 'field.required';
      Object.assign(errors, newPasswordErrors({ username, email: email ?? values.email }, password, confirm));
    }
    // Asked only when there is a notice to read.
    errors.privacy = !config.privacyNoticeUrl || values.privacy === 'yes' ? undefined : 'register.privacy_required';

    const page = pageContext(ctx, '/register');
    const again = (status: number, notice?: string) => html(ctx, registerPage(page, { mode: config.registrationMode, values, errors: say(ctx, errors), privacyUrl: config.privacyNoticeUrl, phoneRegion: config.phoneDefaultRegion, interactionUid, notice }), status);
    if (Object.values(errors).some(Boolean)) return again(422);

    const sent = (personCode: string) => {
      keep(ctx, REGISTERED, { email: email!, personCode, uid: interactionUid } satisfies Registered, keepFor);
      ctx.status = 303;
      ctx.redirect('/register/sent');
    };
    // A filled honeypot is a bot: answer as if it worked, create nothing.
    if (values.website) {
      s.logger.info({ ip: ctx.ip }, 'registration honeypot filled');
      return sent('');
    }

    const input: RegistrationInput = {
      givenName: givenName!, familyName: familyName!, birthdate: birthdate!, phone: phone!, email: email!, locale: ctx.state.locale, interactionUid,
      ...(username ? { username, password } : {}),
    };
    try {
      sent((await registration.register(input, ctx.ip)).personCode);
    } catch (err) {
      if (err instanceof Throttled) {
        // The form again, with everything typed and when to try again: never a dead end.
        ctx.set('Retry-After', String(err.retryAfterSeconds));
        return again(429, ctx.state.t('register.limited', { minutes: Math.ceil(err.retryAfterSeconds / 60) }));
      }
      if (!(err instanceof FieldErrors)) throw err;
      Object.assign(errors, err.errors);
      again(422);
    }
  });

  router.get('/register/sent', (ctx) => {
    const done = kept<Registered>(ctx, REGISTERED);
    if (!done) return ctx.redirect('/register');
    html(ctx, registeredPage(pageContext(ctx, '/register/sent'), { mode: config.registrationMode, email: done.email, hours: config.activationTtlHours, personCode: done.personCode, interactionUid: interactionOf(done.uid) }));
  });

  /** Turns a flow problem into its page: expired (register again), used, invalid. */
  async function withLink(ctx: Context, run: () => Promise<void>) {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof AppError) || !err.code.startsWith('flow.')) throw err;
      const problem = ({ 'flow.expired': 'expired', 'flow.used': 'used', 'flow.superseded': 'superseded' } as const)[err.code as string] ?? 'invalid';
      html(ctx, linkProblemPage(pageContext(ctx, '/register'), { problem, hours: config.activationTtlHours }), problem === 'invalid' ? 404 : 410);
    }
  }

  router.get('/activate', (ctx) => withLink(ctx, async () => {
    const token = String(ctx.query.token ?? '');
    const { account } = await registration.openLink(token);
    const page = pageContext(ctx, ctx.originalUrl);
    if (config.registrationMode === 'assigned-code') return html(ctx, setPasswordPage(page, { token, personCode: account.personCode, errors: {} }));
    html(ctx, confirmActivationPage(page, { token }));
  }));

  router.post('/activate', form, (ctx) => withLink(ctx, async () => {
    const token = field(ctx, 'token', 64) ?? '';
    let done;
    if (config.registrationMode === 'assigned-code') {
      const { account } = await registration.openLink(token);
      const password = field(ctx, 'password', 512, { trim: false });
      const errors = newPasswordErrors({ username: account.personCode, email: account.email }, password, field(ctx, 'password_confirm', 512, { trim: false }));
      if (errors.password || errors.password_confirm) {
        return html(ctx, setPasswordPage(pageContext(ctx, `/activate?token=${token}`), { token, personCode: account.personCode, errors: say(ctx, errors) }), 422);
      }
      done = await registration.setPassword(token, password!, ctx.ip);
    } else {
      done = await registration.activate(token, ctx.ip);
    }
    keep(ctx, ACTIVATED, { personCode: done.account.personCode, uid: done.interactionUid } satisfies Activated, keepFor);
    ctx.status = 303;
    ctx.redirect('/activate/done');
  }));

  router.get('/activate/done', async (ctx) => {
    const done = kept<Activated>(ctx, ACTIVATED);
    if (!done) return ctx.redirect('/');
    const signIn = await signInOf(interactionOf(done.uid));
    // "Continue" only in the browser that started that sign-in: oidc-provider's interaction cookie is
    // there, elsewhere (the phone the mail was opened on) the link would end at "this page has expired".
    const here = signIn && interactionOf(kept<Registered>(ctx, REGISTERED)?.uid) === signIn.uid;
    html(ctx, activatedPage(pageContext(ctx, '/activate/done'), {
      personCode: done.personCode, services,
      continueTo: here ? { url: `/interaction/${signIn.uid}`, client: signIn.client } : undefined,
      elsewhere: here ? undefined : signIn?.client,
    }));
  });

  /** The sign-in the person started, while oidc-provider still holds it. */
  async function signInOf(uid: string | undefined): Promise<{ uid: string; client: string } | undefined> {
    if (!uid) return undefined;
    const interaction = await provider.Interaction.find(uid);
    if (!interaction || interaction.prompt.name !== 'login') return undefined;
    const client = await provider.Client.find(String(interaction.params.client_id));
    return { uid, client: client?.clientName ?? String(interaction.params.client_id) };
  }

  router.get('/register/help', (ctx) => {
    html(ctx, helpPage(pageContext(ctx, ctx.originalUrl), { helpdesk: helpdesk(ctx.state.t, config.helpdeskContact), mode: config.registrationMode, values: {}, errors: {}, interactionUid: interactionOf(ctx.query.interaction) }));
  });

  router.post('/register/help', form, async (ctx) => {
    const interactionUid = interactionOf((ctx.request.body as Record<string, unknown>).interaction);
    const { values } = readFields(ctx, ['username', 'person_code', ...DATE_FIELDS, 'new_email']);
    const password = field(ctx, 'password', 512, { trim: false }) ?? '';
    const errors: Record<string, MessageKey | undefined> = {};
    const assigned = config.registrationMode === 'assigned-code';
    let birthdate: string | undefined;
    if (assigned) {
      errors.person_code = values.person_code ? undefined : 'field.required';
      const checked = checkBirthdate(dateParts(ctx, 'birthdate'), 0, s.clock.now());
      birthdate = checked.value;
      errors.birthdate = checked.error;
    } else {
      errors.username = values.username ? undefined : 'field.required';
      errors.password = password ? undefined : 'field.required';
    }
    // Only username + password may correct the address (see Registration.resend).
    const newEmail = !assigned && values.new_email ? checkEmail(values.new_email) : undefined;
    errors.new_email = newEmail?.error;
    const page = pageContext(ctx, '/register/help');
    if (Object.values(errors).some(Boolean)) {
      return html(ctx, helpPage(page, { helpdesk: helpdesk(ctx.state.t, config.helpdeskContact), mode: config.registrationMode, values, errors: say(ctx, errors), interactionUid }), 422);
    }
    const who = assigned ? { personCode: values.person_code!, birthdate: birthdate! } : { username: values.username!, password };
    let outcome;
    try {
      outcome = await registration.resend(who, newEmail?.value, ctx.ip, interactionUid);
    } catch (err) {
      if (!(err instanceof Throttled)) throw err;
      ctx.set('Retry-After', String(err.retryAfterSeconds));
      return html(ctx, helpPage(page, { helpdesk: helpdesk(ctx.state.t, config.helpdeskContact), mode: config.registrationMode, values, errors: {}, interactionUid, notice: ctx.state.t('register.limited', { minutes: Math.ceil(err.retryAfterSeconds / 60) }) }), 429);
    }
    html(ctx, helpPage(page, { helpdesk: helpdesk(ctx.state.t, config.helpdeskContact), mode: config.registrationMode, values: {}, errors: {}, interactionUid, outcome: ctx.state.t(outcome === 'limited' ? 'help.limited' : 'help.sent') }));
  });

  return router;
}
