/**
 * The passkey form: its options in a data attribute for /static/passkey.js (no inline script), which
 * asks the browser and posts the result in the hidden field `response`. The form is hidden until the
 * script shows it; without JavaScript the <noscript> text says a passkey needs it.
 */
import { html, type SafeHtml } from './html.js';
import { csrfField, layout, type PageContext } from './layout.js';

export function passkeyForm(page: PageContext, v: { mode: 'register' | 'authenticate'; action: string; options: unknown; submit: string; intro?: string }): SafeHtml {
  return html`<noscript><p class="notice">${page.t('mfa.passkey.needs_js')}</p></noscript>
<form method="post" action="${v.action}" data-passkey="${v.mode}" data-options="${JSON.stringify(v.options)}" hidden>
  ${v.intro ? html`<p>${v.intro}</p>` : ''}
  ${csrfField(page)}
  <input type="hidden" name="response" value="">
  <button type="submit" class="primary">${v.submit}</button>
</form>
<script type="module" src="/static/passkey.js"></script>`;
}

/** Personal area, after the re-proof: the browser creates the passkey. */
export function passkeyCreatePage(page: PageContext, v: { action: string; options: unknown; name: string; error?: string; back: string }): SafeHtml {
  const { t } = page;
  return layout(page, t('mfa.passkey.add_title'), html`
<h1>${t('mfa.passkey.add_title')}</h1>
${v.error ? html`<div class="alert" role="alert">${v.error}</div>` : ''}
<p>${t('mfa.passkey.create_intro', { name: v.name })}</p>
${passkeyForm(page, { mode: 'register', action: v.action, options: v.options, submit: t('mfa.passkey.create_submit') })}
<p><a href="${v.back}">${t('mfa.account.back')}</a></p>`);
}
