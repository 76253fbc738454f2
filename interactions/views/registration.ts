/** Pages of registration and activation. */
import { html, type SafeHtml } from './html.js';
import { checkbox, dateField, errorSummary, field } from './fields.js';
import { csrfField, layout, type PageContext } from './layout.js';

export type Mode = 'choose-credentials' | 'assigned-code';
export type Errors = Record<string, string | undefined>;
export interface ServiceLink { name: string; url: string }

const interactionField = (uid?: string) => (uid ? html`<input type="hidden" name="interaction" value="${uid}">` : '');
/** Opened from a sign-in page: the way back to it. */
const backToSignIn = (page: PageContext, uid?: string) => (uid ? html`<p><a href="/interaction/${uid}">${page.t('register.back_to_sign_in')}</a></p>` : '');
/** A limit reached: said at the top of the form, which keeps what was typed. */
const limitNotice = (notice?: string) => (notice ? html`<div class="alert" role="alert" id="form-error">${notice}</div>` : '');

/** `phoneRegion`: PHONE_DEFAULT_REGION, named in the phone hint in the page's language. */
export function registerPage(page: PageContext, v: { mode: Mode; values: Record<string, string>; errors: Errors; privacyUrl: string; phoneRegion: string; interactionUid?: string; notice?: string }): SafeHtml {
  const { t } = page;
  const { values: val, errors: err } = v;
  const labels = {
    given_name: t('register.given_name'), family_name: t('register.family_name'), birthdate: t('register.birthdate'), email: t('register.email'),
    phone: t('register.phone'), username: t('register.username'), password: t('register.password'), password_confirm: t('register.password_confirm'), privacy: t('register.privacy'),
  };
  return layout(page, t('register.title'), html`
<h1>${t('register.title')}</h1>
<p class="notice">${t('register.persons_only')}</p>
${limitNotice(v.notice)}${errorSummary(t, err, labels)}
<form method="post" action="/register" novalidate>
  ${csrfField(page)}${interactionField(v.interactionUid)}
  <fieldset>
    <legend>${t('register.section.person')}</legend>
    ${field({ name: 'given_name', label: t('register.given_name'), value: val.given_name, error: err.given_name, autocomplete: 'given-name', maxlength: 100 })}
    ${field({ name: 'family_name', label: t('register.family_name'), value: val.family_name, error: err.family_name, autocomplete: 'family-name', maxlength: 100 })}
    ${dateField(t, { name: 'birthdate', legend: t('register.birthdate'), values: val, error: err.birthdate, hint: t('register.birthdate_hint') })}
  </fieldset>
  <fieldset>
    <legend>${t('register.section.contact')}</legend>
    ${field({ name: 'email', label: t('register.email'), type: 'email', value: val.email, error: err.email, hint: t('register.email_hint'), autocomplete: 'email', maxlength: 254, inputmode: 'email' })}
    ${field({ name: 'phone', label: t('register.phone'), type: 'tel', value: val.phone, error: err.phone, hint: t('register.phone_hint', { country: new Intl.DisplayNames(page.locale, { type: 'region' }).of(v.phoneRegion) ?? v.phoneRegion, example: v.phoneRegion === 'GB' ? '+39 06 4991 1234' : '+44 20 7946 0958' }), autocomplete: 'tel', maxlength: 32 })}
  </fieldset>
  <fieldset>
    <legend>${t('register.section.credentials')}</legend>
    ${v.mode === 'choose-credentials' ? html`
    ${field({ name: 'username', label: t('register.username'), value: val.username, error: err.username, hint: t('register.username_hint'), autocomplete: 'username', maxlength: 64 })}
    ${field({ name: 'password', label: t('register.password'), type: 'password', error: err.password, hint: t('register.password_hint'), autocomplete: 'new-password', maxlength: 128 })}
    ${field({ name: 'password_confirm', label: t('register.password_confirm'), type: 'password', error: err.password_confirm, autocomplete: 'new-password', maxlength: 128 })}`
    : html`<p>${t('register.assigned_code_note')}</p>`}
  </fieldset>
  <div class="honeypot" aria-hidden="true">
    <label for="f-website">${t('register.honeypot')}</label>
    <input id="f-website" name="website" type="text" tabindex="-1" autocomplete="off">
  </div>
  ${v.privacyUrl ? html`<p><a href="${v.privacyUrl}" target="_blank" rel="noopener">${t('register.privacy_link')}</a></p>
  ${checkbox({ name: 'privacy', label: t('register.privacy'), checked: val.privacy === 'yes', error: err.privacy })}` : ''}
  <button type="submit" class="primary">${t('register.submit')}</button>
</form>
${v.interactionUid ? backToSignIn(page, v.interactionUid) : html`<p>${t('register.have_account')}</p>`}`);
}

export function registeredPage(page: PageContext, v: { mode: Mode; email: string; hours: number; personCode: string; interactionUid?: string }): SafeHtml {
  const { t } = page;
  const help = `/register/help${v.interactionUid ? `?interaction=${v.interactionUid}` : ''}`;
  return layout(page, t('register.sent.title'), html`
<h1>${t('register.sent.title')}</h1>
<p role="status">${v.mode === 'assigned-code' ? t('register.sent.body_code', { email: v.email, hours: v.hours }) : t('register.sent.body', { email: v.email, hours: v.hours })}</p>
${v.mode === 'assigned-code' ? html`<p>${t('register.sent.person_code')}</p><p class="code">${v.personCode}</p>` : ''}
<p><a href="${help}">${t('register.sent.help')}</a></p>`);
}

export function confirmActivationPage(page: PageContext, v: { token: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('activate.title'), html`
<h1>${t('activate.title')}</h1>
<p>${t('activate.confirm_body')}</p>
<form method="post" action="/activate">
  ${csrfField(page)}<input type="hidden" name="token" value="${v.token}">
  <button type="submit" class="primary">${t('activate.confirm')}</button>
</form>`);
}

export function setPasswordPage(page: PageContext, v: { token: string; personCode: string; errors: Errors }): SafeHtml {
  const { t } = page;
  return layout(page, t('activate.set_password_title'), html`
<h1>${t('activate.set_password_title')}</h1>
<p>${t('activate.set_password_body', { code: v.personCode })}</p>
${errorSummary(t, v.errors, { password: t('register.password'), password_confirm: t('register.password_confirm') })}
<form method="post" action="/activate" novalidate>
  ${csrfField(page)}<input type="hidden" name="token" value="${v.token}">
  <input type="hidden" name="username" value="${v.personCode}" autocomplete="username">
  ${field({ name: 'password', label: t('register.password'), type: 'password', error: v.errors.password, hint: t('register.password_hint'), autocomplete: 'new-password', maxlength: 128 })}
  ${field({ name: 'password_confirm', label: t('register.password_confirm'), type: 'password', error: v.errors.password_confirm, autocomplete: 'new-password', maxlength: 128 })}
  <button type="submit" class="primary">${t('activate.set_password')}</button>
</form>`);
}

/**
 * `continueTo` when this browser holds the sign-in it came from; `elsewhere` names the service when the
 * sign-in was started on another device (or browser), which is where it can be continued.
 */
export function activatedPage(page: PageContext, v: { personCode: string; continueTo?: { url: string; client: string }; elsewhere?: string; services: ServiceLink[] }): SafeHtml {
  const { t } = page;
  return layout(page, t('activate.done.title'), html`
<h1>${t('activate.done.title')}</h1>
<p>${t('activate.done.person_code')}</p>
<p class="code">${v.personCode}</p>
<p>${t('activate.done.person_code_hint')}</p>
${v.continueTo ? html`<p><a class="button" href="${v.continueTo.url}">${t('activate.done.continue', { client: v.continueTo.client })}</a></p>` : ''}
${v.elsewhere ? html`<p class="notice">${t('activate.done.elsewhere', { client: v.elsewhere })}</p>` : ''}
${v.continueTo ? '' : html`<p><a href="/account">${t('activate.done.sign_in')}</a></p>`}
${v.services.length ? html`<h2>${t('activate.done.services')}</h2><ul>${v.services.map((sv) => html`<li><a href="${sv.url}">${sv.name}</a></li>`)}</ul>` : ''}`);
}

export function linkProblemPage(page: PageContext, v: { problem: 'expired' | 'used' | 'invalid' | 'superseded'; hours: number }): SafeHtml {
  const { t } = page;
  const title = t(v.problem === 'superseded' ? 'activate.invalid.title' : `activate.${v.problem}.title`);
  const body = { expired: t('activate.expired.body', { hours: v.hours }), used: t('activate.used.body'), invalid: t('flow.invalid'), superseded: t('flow.superseded') }[v.problem];
  return layout(page, title, html`
<h1>${title}</h1>
<p role="alert">${body}</p>
${v.problem === 'expired' || v.problem === 'invalid' ? html`<p><a href="/register">${t('activate.register_again')}</a></p>` : ''}
${v.problem === 'used' ? html`<p><a href="/account">${t('activate.done.sign_in')}</a></p>` : ''}`);
}

export function helpPage(page: PageContext, v: { mode: Mode; values: Record<string, string>; errors: Errors; outcome?: string; notice?: string; interactionUid?: string; helpdesk: string }): SafeHtml {
  const { t } = page;
  const { values: val, errors: err } = v;
  return layout(page, t('help.title'), html`
<h1>${t('help.title')}</h1>
${v.outcome ? html`<p class="notice" role="status">${v.outcome}</p>` : ''}${limitNotice(v.notice)}
<p>${v.mode === 'assigned-code' ? t('help.intro_code', { contact: v.helpdesk }) : t('help.intro')}</p>
${errorSummary(t, err, { username: t('help.username'), password: t('help.password'), person_code: t('help.person_code'), birthdate: t('register.birthdate'), new_email: t('help.new_email') })}
<form method="post" action="/register/help" novalidate>
  ${csrfField(page)}${interactionField(v.interactionUid)}
  ${v.mode === 'assigned-code' ? html`
  ${field({ name: 'person_code', label: t('help.person_code'), value: val.person_code, error: err.person_code, maxlength: 8, inputmode: 'numeric', autocomplete: 'username' })}
  ${dateField(t, { name: 'birthdate', legend: t('register.birthdate'), values: val, error: err.birthdate, hint: t('register.birthdate_hint') })}`
  : html`
  ${field({ name: 'username', label: t('help.username'), value: val.username, error: err.username, autocomplete: 'username', maxlength: 64 })}
  ${field({ name: 'password', label: t('help.password'), type: 'password', error: err.password, autocomplete: 'current-password', maxlength: 128 })}
  ${field({ name: 'new_email', label: t('help.new_email'), type: 'email', value: val.new_email, error: err.new_email, hint: t('help.new_email_hint'), autocomplete: 'email', maxlength: 254, required: false, inputmode: 'email' })}`}
  <button type="submit" class="primary">${t('help.submit')}</button>
</form>
${backToSignIn(page, v.interactionUid)}`);
}
