/** Pages of forgot password / forgot username, the reset link, and the answers to a link that cannot be used. */
import type { DateParts } from '../../src/accounts/validation.js';
import { dateField, errorSummary, field } from './fields.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout, type PageContext } from './layout.js';
import { passwordFields, passwordLabels, type Errors } from './password.js';

const interactionField = (uid?: string) => (uid ? html`<input type="hidden" name="interaction" value="${uid}">` : '');
const withInteraction = (path: string, uid?: string) => (uid ? `${path}?interaction=${encodeURIComponent(uid)}` : path);

/** "Back to sign in" when the sign-in the person came from still exists. */
const backLink = (page: PageContext, back?: string) => (back ? html`<p><a href="${back}">${page.t('recover.back_to_signin')}</a></p>` : '');

export function forgotPasswordPage(page: PageContext, v: { identifier: string; errors: Errors; interactionUid?: string; back?: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('recover.password.title'), html`
<h1>${t('recover.password.title')}</h1>
<p>${t('recover.password.intro')}</p>
${errorSummary(t, v.errors, { identifier: t('recover.password.identifier') })}
<form method="post" action="/recover/password" novalidate>
  ${csrfField(page)}${interactionField(v.interactionUid)}
  ${field({ name: 'identifier', label: t('recover.password.identifier'), value: v.identifier, error: v.errors.identifier, autocomplete: 'username', maxlength: 254 })}
  <button type="submit" class="primary">${t('recover.password.submit')}</button>
</form>
<nav class="links" aria-label="${t('recover.other_help')}">
  <a href="${withInteraction('/recover/username', v.interactionUid)}">${t('login.forgot_username')}</a>
</nav>
${backLink(page, v.back)}`);
}

export function forgotUsernamePage(page: PageContext, v: { email: string; errors: Errors; interactionUid?: string; back?: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('recover.username.title'), html`
<h1>${t('recover.username.title')}</h1>
<p>${t('recover.username.intro')}</p>
${errorSummary(t, v.errors, { email: t('recover.username.email') })}
<form method="post" action="/recover/username" novalidate>
  ${csrfField(page)}${interactionField(v.interactionUid)}
  ${field({ name: 'email', label: t('recover.username.email'), type: 'email', value: v.email, error: v.errors.email, autocomplete: 'email', maxlength: 254, inputmode: 'email' })}
  <button type="submit" class="primary">${t('recover.username.submit')}</button>
</form>
<nav class="links" aria-label="${t('recover.other_help')}">
  <a href="${withInteraction('/recover/password', v.interactionUid)}">${t('login.forgot_password')}</a>
</nav>
${backLink(page, v.back)}`);
}

/** The one answer to a recovery request, whether or not anything matched. */
export function recoverySentPage(page: PageContext, v: { message: string; back?: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('recover.sent.title'), html`
<h1>${t('recover.sent.title')}</h1>
<p role="status">${v.message}</p>
<p>${t('recover.sent.wait')}</p>
${backLink(page, v.back)}`);
}

export function resetPasswordPage(page: PageContext, v: { token: string; login: string; requiresBirthdate: boolean; birthdate: DateParts; errors: Errors }): SafeHtml {
  const { t } = page;
  return layout(page, t('reset.title'), html`
<h1>${t('reset.title')}</h1>
<p>${t('reset.intro', { login: v.login })}</p>
${errorSummary(t, v.errors, { birthdate: t('reset.birthdate'), ...passwordLabels(t) })}
<form method="post" action="/recover/password/reset" novalidate>
  ${csrfField(page)}<input type="hidden" name="token" value="${v.token}">
  ${v.requiresBirthdate ? dateField(t, { name: 'birthdate', legend: t('reset.birthdate'), values: { birthdate_day: v.birthdate.day, birthdate_month: v.birthdate.month, birthdate_year: v.birthdate.year }, error: v.errors.birthdate, hint: t('reset.birthdate_hint') }) : ''}
  ${passwordFields(t, v.errors, { login: v.login })}
  <button type="submit" class="primary">${t('reset.submit')}</button>
</form>`);
}

export function resetDonePage(page: PageContext, v: { continueUrl?: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('reset.done.title'), html`
<h1>${t('reset.done.title')}</h1>
<p role="status">${t('reset.done.body')}</p>
${v.continueUrl ? html`<p><a class="button" href="${v.continueUrl}">${t('reset.done.continue')}</a></p>` : html`<p>${t('reset.done.elsewhere')}</p>`}`);
}

/** A link from an email that cannot be used: not valid, expired (with the way to start again) or used. */
export function linkProblemPage(page: PageContext, v: { title: string; body: string; restart?: { href: string; label: string } }): SafeHtml {
  return layout(page, v.title, html`
<h1>${v.title}</h1>
<p role="alert">${v.body}</p>
${v.restart ? html`<p><a class="button" href="${v.restart.href}">${v.restart.label}</a></p>` : ''}`);
}
