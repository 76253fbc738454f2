/** Pages of federated sign-in: the institutions on the login page, and what went wrong at one. */
import { html, trusted, type SafeHtml } from './html.js';
import { csrfField, layout, type PageContext } from './layout.js';

export interface InstitutionChoice { entityId: string; name: string }

/** "Sign in with your institution": one button per institution, in a plain form (no JavaScript needed). */
export function institutionsSection(page: PageContext, uid: string, institutions: readonly InstitutionChoice[]): SafeHtml {
  const { t } = page;
  if (institutions.length === 0) return html``;
  return html`
<section class="institutions" aria-labelledby="institutions-title">
<h2 id="institutions-title">${t('federation.title')}</h2>
<p>${t('federation.intro')}</p>
<form method="post" action="/interaction/${uid}/saml">
  ${csrfField(page)}
  <ul class="institutions">
    ${institutions.map((i) => html`<li><button type="submit" name="idp" value="${i.entityId}">${i.name}</button></li>`)}
  </ul>
</form>
</section>`;
}

/**
 * What happened at the institution, with the ways on: try the same institution again, choose another way
 * to sign in, or give up (the service then gets access_denied).
 */
export function federationErrorPage(page: PageContext, v: { uid: string; entityId?: string; message: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('federation.error.title'), html`
<h1>${t('federation.error.title')}</h1>
<p role="alert" class="notice">${v.message}</p>
${v.entityId ? html`<form method="post" action="/interaction/${v.uid}/saml">
  ${csrfField(page)}
  <input type="hidden" name="idp" value="${v.entityId}">
  <button type="submit" class="primary">${t('federation.try_again')}</button>
</form>` : ''}
<nav class="links" aria-label="${t('login.help')}">
  <a href="/interaction/${v.uid}?choose=1">${t('federation.other_way')}</a>
</nav>
<form method="post" action="/interaction/${v.uid}/abort" class="secondary">
  ${csrfField(page)}
  <button type="submit" class="link">${t('login.cancel')}</button>
</form>
<p class="request-id">${t('error.request_id', { id: page.requestId })}</p>`);
}

/** A new institution identity whose address is a local account's: link by that account's password, or stay separate. */
export function linkOfferPage(page: PageContext, v: { uid: string; requestId: string; email: string; institution: string; askCode?: boolean; error?: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('federation.link.title'), html`
<h1>${t('federation.link.title')}</h1>
<p>${t(v.askCode ? 'federation.link.intro_with_code' : 'federation.link.intro', { email: v.email, institution: v.institution })}</p>
${v.error ? html`<div class="alert" role="alert" id="form-error">${v.error}</div>` : ''}
<form method="post" action="/interaction/${v.uid}/saml/link" novalidate>
  ${csrfField(page)}
  <input type="hidden" name="request" value="${v.requestId}">
  <label for="password">${t('federation.link.password')}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="128"${v.error ? trusted(' aria-invalid="true" aria-describedby="form-error"') : ''}>
  ${v.askCode ? html`<label for="code">${t('mfa.reproof.code_label')}</label>
  <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="32">` : ''}
  <button type="submit" class="primary">${t('federation.link.submit')}</button>
</form>
<form method="post" action="/interaction/${v.uid}/saml/separate" class="secondary">
  ${csrfField(page)}
  <input type="hidden" name="request" value="${v.requestId}">
  <button type="submit">${t('federation.link.separate')}</button>
</form>
<form method="post" action="/interaction/${v.uid}/abort" class="secondary">
  ${csrfField(page)}
  <button type="submit" class="link">${t('login.cancel')}</button>
</form>`);
}
