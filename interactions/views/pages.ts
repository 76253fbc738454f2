/** Pages of the sign-in interaction and the error page. */
import { html, trusted, type SafeHtml } from './html.js';
import { alertBox, csrfField, layout, type PageContext } from './layout.js';
import { institutionsSection, type InstitutionChoice } from './federation.js';

export function loginPage(page: PageContext, v: { uid: string; clientName: string; login: string; error?: string | SafeHtml; institutions?: readonly InstitutionChoice[] }): SafeHtml {
  const { t } = page;
  return layout(page, t('login.title'), html`
<h1>${t('login.title')}</h1>
<p class="subtitle">${t('login.to_client', { client: v.clientName })}</p>
${alertBox(v.error)}
<form method="post" action="/interaction/${v.uid}/login" novalidate>
  ${csrfField(page)}
  <label for="login">${t('login.username')}</label>
  <input id="login" name="login" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="64" value="${v.login}"${v.error ? trusted(' aria-invalid="true" aria-describedby="form-error"') : ''}>
  <label for="password">${t('login.password')}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="128"${v.error ? trusted(' aria-invalid="true" aria-describedby="form-error"') : ''}>
  <button type="submit" class="primary">${t('login.submit')}</button>
</form>
${institutionsSection(page, v.uid, v.institutions ?? [])}
<nav class="links" aria-label="${t('login.help')}">
  <a href="/register?interaction=${v.uid}">${t('login.create_account')}</a>
  <a href="/recover/password?interaction=${v.uid}">${t('login.forgot_password')}</a>
  <a href="/recover/username?interaction=${v.uid}">${t('login.forgot_username')}</a>
</nav>
<form method="post" action="/interaction/${v.uid}/abort" class="secondary">
  ${csrfField(page)}
  <button type="submit" class="link">${t('login.cancel')}</button>
</form>`);
}

export function consentPage(page: PageContext, v: { uid: string; clientName: string; accountName: string; scopes: string[] }): SafeHtml {
  const { t } = page;
  const known = new Set(['openid', 'profile', 'email', 'phone', 'offline_access', 'eduperson']);
  return layout(page, t('consent.title'), html`
<h1>${t('consent.title')}</h1>
<p>${t('consent.signed_in_as', { name: v.accountName })}</p>
<p>${t('consent.intro', { client: v.clientName })}</p>
<ul class="scopes">
  ${v.scopes.filter((s) => known.has(s)).map((s) => html`<li>${t(`consent.scope.${s}` as Parameters<typeof t>[0])}</li>`)}
</ul>
<form method="post" action="/interaction/${v.uid}/confirm">
  ${csrfField(page)}
  <button type="submit" class="primary">${t('consent.allow')}</button>
</form>
<form method="post" action="/interaction/${v.uid}/abort" class="secondary">
  ${csrfField(page)}
  <button type="submit">${t('consent.deny')}</button>
</form>`);
}

/** oidc-provider hands us its own form (with its own xsrf token); we supply the words and buttons. */
export function logoutPage(page: PageContext, v: { form: string; clientName?: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('logout.title'), html`
<h1>${t('logout.title')}</h1>
${v.clientName ? html`<p>${t('logout.from_client', { client: v.clientName })}</p>` : ''}
<p>${t('logout.question')}</p>
${trusted(v.form)}
<button type="submit" form="op.logoutForm" name="logout" value="yes" class="primary">${t('logout.yes')}</button>
<button type="submit" form="op.logoutForm">${t('logout.no')}</button>`);
}

export function loggedOutPage(page: PageContext): SafeHtml {
  const { t } = page;
  return layout(page, t('logout.title'), html`
<h1>${t('logout.done')}</h1>
<p>${t('logout.done_hint')}</p>
<p><a class="button" href="/account">${t('logout.sign_in_again')}</a></p>`);
}

export function errorPage(page: PageContext, v: { title: string; message: string }): SafeHtml {
  const { t } = page;
  return layout(page, v.title, html`
<h1>${v.title}</h1>
<p role="alert">${v.message}</p>
<p class="request-id">${t('error.request_id', { id: page.requestId })}</p>
<p><a href="/">${t('error.back_home')}</a></p>`);
}

export function homePage(page: PageContext): SafeHtml {
  const { t } = page;
  return layout(page, t('home.title'), html`
<h1>${t('home.title')}</h1>
<p>${t('home.intro')}</p>
<nav class="links" aria-label="${t('home.links')}">
  <a class="button" href="/account">${t('home.account')}</a>
  <a href="/register">${t('home.register')}</a>
  <a href="/recover/password">${t('home.forgot_password')}</a>
  <a href="/recover/username">${t('home.forgot_username')}</a>
</nav>`);
}
