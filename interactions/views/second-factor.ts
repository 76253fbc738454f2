/**
 * Pages of two-factor authentication: the code asked at sign-in, the password asked again before a
 * set-up, and the set-up itself (the mailed code, the authenticator app, the recovery codes shown once).
 * The set-up pages serve the sign-in and the personal area alike: `action` is the path their forms post to.
 */
import { html, trusted, type SafeHtml } from './html.js';
import { field } from './fields.js';
import { alertBox, csrfField, layout, type PageContext } from './layout.js';
import { passkeyForm } from './passkeys.js';

/** "Cancel and go back to the service" (sign-in) or "Back to your account" (personal area). */
export interface Leave { action: string; label: string; method?: 'post' | 'get' }

function leave(page: PageContext, l: Leave | undefined): SafeHtml {
  if (!l) return html``;
  if (l.method === 'get') return html`<p><a href="${l.action}">${l.label}</a></p>`;
  return html`<form method="post" action="${l.action}" class="secondary">
  ${csrfField(page)}
  <button type="submit" class="link">${l.label}</button>
</form>`;
}

export function secondFactorPage(page: PageContext, v: { action: string; clientName: string; code: string; error?: string; leave: Leave; passkeyOptions?: unknown }): SafeHtml {
  const { t } = page;
  return layout(page, t('mfa.verify.title'), html`
<h1>${t('mfa.verify.title')}</h1>
<p class="subtitle">${t('login.to_client', { client: v.clientName })}</p>
<p>${t('mfa.verify.intro')}</p>
${alertBox(v.error)}
<form method="post" action="${v.action}" novalidate>
  ${csrfField(page)}
  ${field({ name: 'code', label: t('mfa.verify.label'), value: v.code, error: v.error, hint: t('mfa.verify.hint'), autocomplete: 'one-time-code', maxlength: 20 })}
  <button type="submit" class="primary">${t('mfa.verify.submit')}</button>
</form>
${v.passkeyOptions ? passkeyForm(page, { mode: 'authenticate', action: `${v.action}/passkey`, options: v.passkeyOptions, submit: t('mfa.passkey.signin_submit'), intro: t('mfa.passkey.signin_intro') }) : ''}
<p>${t('mfa.verify.lost')}</p>
${leave(page, v.leave)}`);
}

export function passwordAgainPage(page: PageContext, v: { action: string; intro: string; login: string; error?: string; leave: Leave }): SafeHtml {
  const { t } = page;
  return layout(page, t('mfa.password.title'), html`
<h1>${t('mfa.password.title')}</h1>
<p>${v.intro}</p>
${alertBox(v.error)}
<form method="post" action="${v.action}" novalidate>
  ${csrfField(page)}
  <input type="hidden" name="username" value="${v.login}" autocomplete="username">
  ${field({ name: 'password', type: 'password', label: t('login.password'), error: v.error, autocomplete: 'current-password', maxlength: 128 })}
  <button type="submit" class="primary">${t('mfa.password.submit')}</button>
</form>
${leave(page, v.leave)}`);
}

/** First step of a set-up: send a code to the verified address, then type it. */
export function enrolMailPage(page: PageContext, v: { action: string; intro?: string; email: string; sent: boolean; code: string; error?: string; leave: Leave }): SafeHtml {
  const { t } = page;
  return layout(page, t('mfa.enrol.title'), html`
<h1>${t('mfa.enrol.title')}</h1>
${v.intro ? html`<p>${v.intro}</p>` : ''}
<p>${t('mfa.enrol.why')}</p>
${alertBox(v.error)}
${v.sent ? html`
<p role="status">${t('mfa.enrol.sent', { email: v.email })}</p>
<form method="post" action="${v.action}/email" novalidate>
  ${csrfField(page)}
  ${field({ name: 'code', label: t('mfa.enrol.mail_label'), value: v.code, error: v.error, hint: t('mfa.enrol.mail_hint'), autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6 })}
  <button type="submit" class="primary">${t('mfa.enrol.mail_submit')}</button>
</form>
<form method="post" action="${v.action}/send" class="secondary">
  ${csrfField(page)}
  <button type="submit" class="link">${t('mfa.enrol.resend')}</button>
</form>` : html`
<p>${t('mfa.enrol.will_send', { email: v.email })}</p>
<form method="post" action="${v.action}/send">
  ${csrfField(page)}
  <button type="submit" class="primary">${t('mfa.enrol.send')}</button>
</form>`}
${leave(page, v.leave)}`);
}

/** Second step: the app reads the QR code (or the secret is typed), and its first code confirms it. */
export function enrolAppPage(page: PageContext, v: {
  action: string; qrSvg: string; secret: string; name: string; code: string; errors: { name?: string; code?: string }; leave: Leave;
}): SafeHtml {
  const { t } = page;
  const problems = [v.errors.name, v.errors.code].filter(Boolean) as string[];
  return layout(page, t('mfa.app.title'), html`
<h1>${t('mfa.app.title')}</h1>
${alertBox(problems.length ? problems.join(' ') : undefined)}
<ol>
  <li>${t('mfa.app.step_install')}</li>
  <li>${t('mfa.app.step_scan')}</li>
</ol>
<figure class="qr" aria-describedby="manual-secret">${trusted(v.qrSvg.replace('<svg ', `<svg role="img" aria-label="${t('mfa.app.qr_label')}" `))}</figure>
<p id="manual-secret">${t('mfa.app.manual')}</p>
<p class="secret" lang="en"><code>${v.secret}</code></p>
<p class="hint">${t('mfa.app.manual_hint')}</p>
<form method="post" action="${v.action}/app" novalidate>
  ${csrfField(page)}
  ${field({ name: 'name', label: t('mfa.app.name_label'), value: v.name, error: v.errors.name, hint: t('mfa.app.name_hint'), maxlength: 64 })}
  ${field({ name: 'code', label: t('mfa.app.code_label'), value: v.code, error: v.errors.code, hint: t('mfa.app.code_hint'), autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6 })}
  <button type="submit" class="primary">${t('mfa.app.submit')}</button>
</form>
${leave(page, v.leave)}`);
}

/** The recovery codes, shown once (codes present), or the page seen again later (no codes). */
export function recoveryCodesPage(page: PageContext, v: { action: string; codes?: string[]; continueLabel: string; method: 'post' | 'get' }): SafeHtml {
  const { t } = page;
  return layout(page, t('mfa.codes.title'), html`
<h1>${t('mfa.codes.title')}</h1>
${v.codes ? html`
<p role="status">${t('mfa.codes.intro')}</p>
<ul class="recovery-codes">${v.codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<p>${t('mfa.codes.keep')}</p>` : html`<p>${t('mfa.codes.shown_before')}</p>`}
${v.method === 'get' ? html`<p><a class="button" href="${v.action}">${v.continueLabel}</a></p>` : html`
<form method="post" action="${v.action}">
  ${csrfField(page)}
  <button type="submit" class="primary">${v.continueLabel}</button>
</form>`}`);
}

/** Said when there is no verified address to confirm a set-up with. */
export function noEmailPage(page: PageContext, v: { message: string; leave: Leave }): SafeHtml {
  const { t } = page;
  return layout(page, t('mfa.enrol.title'), html`
<h1>${t('mfa.enrol.title')}</h1>
<p role="alert">${v.message}</p>
${leave(page, v.leave)}`);
}
