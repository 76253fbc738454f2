/** Pages of the personal area: overview, password and email changes, and the email links' pages. */
import { errorSummary, field } from './fields.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout, type PageContext } from './layout.js';
import { passwordFields, passwordLabels, type Errors } from './password.js';

export interface AccountView {
  name: string;
  username: string | null;
  personCode: string;
  email: string | null;
  emailVerified: boolean;
  phone: string | null;
  userType: string;
  /** undefined: the account has no password (federated). */
  password?: { changedAt?: string; expiresAt?: string; expired: boolean };
  /** How many second factors; undefined: not for this account (no password to re-prove changes with). */
  twoFactorMethods?: number;
  pendingEmail?: { email: string; date: string };
  notice?: string;
  sessions: { uid: string; current: boolean; signedIn: string; services: string[] }[];
  services: { grantId: string; name: string; since: string }[];
  logins: { when: string; ip: string; service: string }[];
  linked: { id: string; institution: string; since: string; canUnlink: boolean }[];
}

const back = (page: PageContext) => html`<p><a href="/account">${page.t('account.back')}</a></p>`;

export function accountPage(page: PageContext, v: AccountView): SafeHtml {
  const { t } = page;
  const row = (label: string, value: string | null, extra?: string) => html`<dt>${label}</dt><dd>${value ?? t('account.not_given')}${extra ? html` ${extra}` : ''}</dd>`;
  return layout(page, t('account.title'), html`
<h1>${t('account.title')}</h1>
<p>${t('account.signed_in_as', { name: v.name })} <a href="/session/end">${t('account.sign_out')}</a></p>
${v.notice ? html`<p class="notice" role="status">${v.notice}</p>` : ''}

<section aria-labelledby="h-profile">
<h2 id="h-profile">${t('account.profile')}</h2>
<dl class="profile">
  ${row(t('account.name'), v.name)}
  ${row(t('account.username'), v.username)}
  ${row(t('account.person_code'), v.personCode)}
  ${row(t('account.email'), v.email, v.email && !v.emailVerified ? t('account.email_unverified') : undefined)}
  ${row(t('account.phone'), v.phone)}
  ${row(t('account.user_type'), v.userType)}
</dl>
${v.pendingEmail ? html`<p class="notice">${t('account.email.pending', { email: v.pendingEmail.email, date: v.pendingEmail.date })}</p>` : ''}
${v.password ? html`<p><a href="/account/email">${t('account.email.change')}</a></p>` : ''}
</section>

<section aria-labelledby="h-password">
<h2 id="h-password">${t('account.password')}</h2>
${v.password ? html`
${v.password.changedAt ? html`<p>${t('account.password.changed_at', { date: v.password.changedAt })}</p>` : ''}
${v.password.expiresAt ? html`<p>${t(v.password.expired ? 'account.password.expired' : 'account.password.expires_at', { date: v.password.expiresAt })}</p>` : ''}
<p><a href="/account/password">${t('account.password.change')}</a></p>` : html`<p>${t('account.password.none')}</p>`}
</section>

${v.twoFactorMethods === undefined ? '' : html`<section aria-labelledby="h-two-factor">
<h2 id="h-two-factor">${t('mfa.account.title')}</h2>
<p>${v.twoFactorMethods ? t('mfa.account.on', { count: v.twoFactorMethods }) : t('mfa.account.off')}</p>
<p><a href="/account/two-factor">${t('mfa.account.manage')}</a></p>
</section>

`}<section aria-labelledby="h-sessions">
<h2 id="h-sessions">${t('account.sessions')}</h2>
<p class="hint">${t('account.sessions.intro')}</p>
<ul class="items">
${v.sessions.map((s) => html`<li>
  <p>${s.current ? html`<strong>${t('account.sessions.this')}</strong> · ` : ''}${t('account.sessions.signed_in', { date: s.signedIn })}</p>
  <p>${s.services.length ? t('account.sessions.services', { list: s.services.join(', ') }) : t('account.sessions.no_services')}</p>
  ${s.current
    ? html`<p><a href="/session/end">${t('account.sign_out')}</a></p>`
    : html`<form method="post" action="/account/sessions/end">${csrfField(page)}<input type="hidden" name="session" value="${s.uid}">
    <button type="submit" aria-label="${t('account.sessions.end_label', { date: s.signedIn })}">${t('account.sessions.end')}</button></form>`}
</li>`)}
</ul>
</section>

<section aria-labelledby="h-services">
<h2 id="h-services">${t('account.services')}</h2>
${v.services.length ? html`<ul class="items">
${v.services.map((g) => html`<li>
  <p><strong>${g.name}</strong> · ${t('account.services.since', { date: g.since })}</p>
  <form method="post" action="/account/services/revoke">${csrfField(page)}<input type="hidden" name="grant" value="${g.grantId}">
  <button type="submit" aria-label="${t('account.services.revoke_label', { client: g.name })}">${t('account.services.revoke')}</button></form>
</li>`)}
</ul>` : html`<p>${t('account.services.none')}</p>`}
</section>

<section aria-labelledby="h-logins">
<h2 id="h-logins">${t('account.logins')}</h2>
${v.logins.length ? html`<table class="logins">
<thead><tr><th scope="col">${t('account.logins.when')}</th><th scope="col">${t('account.logins.ip')}</th><th scope="col">${t('account.logins.service')}</th></tr></thead>
<tbody>${v.logins.map((l) => html`<tr><td>${l.when}</td><td>${l.ip}</td><td>${l.service}</td></tr>`)}</tbody>
</table>` : html`<p>${t('account.logins.none')}</p>`}
</section>

<section aria-labelledby="h-linked">
<h2 id="h-linked">${t('account.linked')}</h2>
${v.linked.length ? html`<ul class="items">${v.linked.map((l) => html`<li>
  <p><strong>${l.institution}</strong> · ${l.since}${l.canUnlink ? '' : html` · ${t('account.linked.only_way')}`}</p>
  ${l.canUnlink ? html`<form method="post" action="/account/institutions/unlink">${csrfField(page)}<input type="hidden" name="identity" value="${l.id}">
  <button type="submit" aria-label="${t('account.linked.unlink_label', { institution: l.institution })}">${t('account.linked.unlink')}</button></form>` : ''}
</li>`)}</ul>` : html`<p>${t('account.linked.none')}</p>`}
</section>`, { wide: true });
}

export function changePasswordPage(page: PageContext, v: { login: string; errors: Errors }): SafeHtml {
  const { t } = page;
  return layout(page, t('account.password.title'), html`
<h1>${t('account.password.title')}</h1>
<p>${t('account.password.intro')}</p>
${errorSummary(t, v.errors, passwordLabels(t))}
<form method="post" action="/account/password" novalidate>
  ${csrfField(page)}
  ${passwordFields(t, v.errors, { current: true, login: v.login })}
  <button type="submit" class="primary">${t('account.password.submit')}</button>
</form>
${back(page)}`);
}

export function changeEmailPage(page: PageContext, v: { currentEmail: string | null; email: string; errors: Errors }): SafeHtml {
  const { t } = page;
  return layout(page, t('account.email.title'), html`
<h1>${t('account.email.title')}</h1>
${v.currentEmail ? html`<p>${t('account.email.current', { email: v.currentEmail })}</p>` : ''}
<p>${t('account.email.intro')}</p>
${errorSummary(t, v.errors, { email: t('account.email.new'), password: t('account.email.password') })}
<form method="post" action="/account/email" novalidate>
  ${csrfField(page)}
  ${field({ name: 'email', label: t('account.email.new'), type: 'email', value: v.email, error: v.errors.email, autocomplete: 'email', maxlength: 254, inputmode: 'email' })}
  ${field({ name: 'password', label: t('account.email.password'), type: 'password', error: v.errors.password, hint: t('account.email.password_hint'), autocomplete: 'current-password', maxlength: 128 })}
  <button type="submit" class="primary">${t('account.email.submit')}</button>
</form>
${back(page)}`);
}

/** The same answer whether or not the new address is in use. */
export function emailSentPage(page: PageContext, v: { email: string; hours: number }): SafeHtml {
  const { t } = page;
  return layout(page, t('account.email.sent.title'), html`
<h1>${t('account.email.sent.title')}</h1>
<p role="status">${t('account.email.sent.body', { email: v.email, hours: v.hours })}</p>
<p>${t('recover.sent.wait')}</p>
${back(page)}`);
}

export function emailConfirmPage(page: PageContext, v: { token: string; email: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('account.email.confirm.title'), html`
<h1>${t('account.email.confirm.title')}</h1>
<p>${t('account.email.confirm.body', { email: v.email })}</p>
<form method="post" action="/account/email/confirm">
  ${csrfField(page)}<input type="hidden" name="token" value="${v.token}">
  <button type="submit" class="primary">${t('account.email.confirm.submit')}</button>
</form>`);
}

export function emailConfirmedPage(page: PageContext, v: { email: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('account.email.confirmed.title'), html`
<h1>${t('account.email.confirmed.title')}</h1>
<p role="status">${t('account.email.confirmed.body', { email: v.email })}</p>
${back(page)}`);
}

export function emailReportPage(page: PageContext, v: { token: string; newEmail: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('account.email.report.title'), html`
<h1>${t('account.email.report.title')}</h1>
<p>${t('account.email.report.body', { email: v.newEmail })}</p>
<form method="post" action="/account/email/report">
  ${csrfField(page)}<input type="hidden" name="token" value="${v.token}">
  <button type="submit" class="primary">${t('account.email.report.submit')}</button>
</form>`);
}

export function emailReportedPage(page: PageContext, v: { restored: 'not_needed' | 'restored' | 'taken'; oldEmail: string }): SafeHtml {
  const { t } = page;
  const message = v.restored === 'restored' ? t('account.email.reported.restored', { email: v.oldEmail })
    : v.restored === 'taken' ? t('account.email.reported.not_restored')
      : t('account.email.reported.body', { email: v.oldEmail });
  return layout(page, t('account.email.reported.title'), html`
<h1>${t('account.email.reported.title')}</h1>
<p role="status">${message}</p>
<p>${t('account.email.reported.password')}</p>
<p><a class="button" href="/recover/password">${t('account.email.reported.reset')}</a></p>`);
}

export function notSignedInPage(page: PageContext): SafeHtml {
  const { t } = page;
  return layout(page, t('account.not_signed_in.title'), html`
<h1>${t('account.not_signed_in.title')}</h1>
<p>${t('account.not_signed_in.body')}</p>
<p><a class="button" href="/account/signin">${t('account.sign_in')}</a></p>`);
}
