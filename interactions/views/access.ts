/** Pages of the access policy: a service closed to the person, the first-login access code, confirming an address. */
import type { UserType } from '../../src/accounts/account.js';
import { html, type SafeHtml } from './html.js';
import { field } from './fields.js';
import { alertBox, csrfField, layout, type PageContext } from './layout.js';

const NOT_ALLOWED = { internal: 'access.not_allowed.internal', external: 'access.not_allowed.external', federated: 'access.not_allowed.federated' } as const;

export function notAllowedPage(page: PageContext, v: { uid: string; clientName: string; userType: UserType | null; accountName: string; contact: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('access.not_allowed.title'), html`
<h1>${t('access.not_allowed.title')}</h1>
<p class="subtitle">${v.clientName}</p>
<p role="alert" class="notice">${t(NOT_ALLOWED[v.userType ?? 'external'])}</p>
${v.accountName ? html`<p>${t('access.not_allowed.signed_in_as', { name: v.accountName })}</p>` : ''}
<p>${t('access.not_allowed.help', { contact: v.contact })}</p>
<form method="post" action="/interaction/${v.uid}/not_allowed">
  ${csrfField(page)}
  <button type="submit" class="primary">${t('access.not_allowed.back')}</button>
</form>`);
}

export function accessCodePage(page: PageContext, v: { uid: string; clientName: string; contact: string; code: string; error?: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('access_code.title'), html`
<h1>${t('access_code.title')}</h1>
<p>${t('access_code.intro', { client: v.clientName })}</p>
<p>${t('access_code.once')}</p>
${alertBox(v.error)}
<form method="post" action="/interaction/${v.uid}/access_code" novalidate>
  ${csrfField(page)}
  ${field({ name: 'code', label: t('access_code.label'), value: v.code, error: v.error, hint: t('access_code.hint'), autocomplete: 'one-time-code', maxlength: 16 })}
  <button type="submit" class="primary">${t('access_code.submit')}</button>
</form>
<p>${t('access_code.request', { contact: v.contact })}</p>
<form method="post" action="/interaction/${v.uid}/abort" class="secondary">
  ${csrfField(page)}
  <button type="submit" class="link">${t('access_code.cancel')}</button>
</form>`);
}

export function confirmEmailPage(page: PageContext, v: { token: string; email: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('email_verify.title'), html`
<h1>${t('email_verify.title')}</h1>
<p>${t('email_verify.body', { email: v.email })}</p>
<form method="post" action="/email/verify">
  ${csrfField(page)}
  <input type="hidden" name="token" value="${v.token}">
  <button type="submit" class="primary">${t('email_verify.confirm')}</button>
</form>`);
}

export function emailConfirmedPage(page: PageContext, v: { email: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('email_verify.title'), html`
<h1>${t('email_verify.title')}</h1>
<p role="status">${t('email_verify.done', { email: v.email })}</p>`);
}

export function emailLinkProblemPage(page: PageContext, v: { message: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('email_verify.title'), html`
<h1>${t('email_verify.title')}</h1>
<p role="alert">${v.message}</p>`);
}
