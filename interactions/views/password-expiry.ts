/** Pages of the password-expiry step inside a sign-in: the forced change, the reminder, the optional change. */
import { errorSummary } from './fields.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout, type PageContext } from './layout.js';
import { passwordFields, passwordLabels, type Errors } from './password.js';

export function passwordExpiredPage(page: PageContext, v: { uid: string; clientName: string; days: number; needCurrent: boolean; login: string; errors: Errors }): SafeHtml {
  const { t } = page;
  return layout(page, t('expiry.expired.title'), html`
<h1>${t('expiry.expired.title')}</h1>
<p>${t('expiry.expired.body', { days: v.days, client: v.clientName })}</p>
${v.needCurrent ? html`<p>${t('expiry.expired.reauth')}</p>` : ''}
${errorSummary(t, v.errors, passwordLabels(t))}
<form method="post" action="/interaction/${v.uid}/password_expiry" novalidate>
  ${csrfField(page)}
  ${passwordFields(t, v.errors, { current: v.needCurrent, login: v.login })}
  <button type="submit" class="primary">${t('expiry.submit')}</button>
</form>
<form method="post" action="/interaction/${v.uid}/abort" class="secondary">
  ${csrfField(page)}
  <button type="submit" class="link">${t('login.cancel')}</button>
</form>`);
}

export function passwordReminderPage(page: PageContext, v: { uid: string; clientName: string; date: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('expiry.warning.title'), html`
<h1>${t('expiry.warning.title')}</h1>
<p>${t('expiry.warning.body', { date: v.date })}</p>
<p><a class="button" href="/interaction/${v.uid}/password_expiry?change=1">${t('expiry.warning.change')}</a></p>
<form method="post" action="/interaction/${v.uid}/password_expiry/continue" class="secondary">
  ${csrfField(page)}
  <button type="submit">${t('expiry.warning.continue', { client: v.clientName })}</button>
</form>`);
}

export function passwordOptionalChangePage(page: PageContext, v: { uid: string; clientName: string; login: string; errors: Errors }): SafeHtml {
  const { t } = page;
  return layout(page, t('expiry.change.title'), html`
<h1>${t('expiry.change.title')}</h1>
<p>${t('expiry.change.body', { client: v.clientName })}</p>
${errorSummary(t, v.errors, passwordLabels(t))}
<form method="post" action="/interaction/${v.uid}/password_expiry" novalidate>
  ${csrfField(page)}
  ${passwordFields(t, v.errors, { login: v.login })}
  <button type="submit" class="primary">${t('expiry.submit')}</button>
</form>
<form method="post" action="/interaction/${v.uid}/password_expiry/continue" class="secondary">
  ${csrfField(page)}
  <button type="submit" class="link">${t('expiry.warning.continue', { client: v.clientName })}</button>
</form>`);
}
