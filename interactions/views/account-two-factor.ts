/**
 * Two-factor authentication in the personal area: the list of methods, and the pages of each change
 * (rename, remove, new recovery codes, adding an app), every one with the re-proof fields (password and
 * a current second factor). The set-up steps themselves are views/second-factor.ts, shared with sign-in.
 */
import { errorSummary, field } from './fields.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout, type PageContext } from './layout.js';

export interface ReproofErrors { password?: string; code?: string }

export interface TwoFactorView {
  methods: { id: string; name: string; kind: string; added: string; lastUsed: string }[];
  recoveryCodesLeft: number;
  notice?: string;
  /** Passkeys can be added (interactions/passkeys.ts passes it). */
  passkeys?: boolean;
}

export const TWO_FACTOR_PATH = '/account/two-factor';

const back = (page: PageContext) => html`<p><a href="${TWO_FACTOR_PATH}">${page.t('mfa.account.back')}</a></p>`;

const reproofLabels = (page: PageContext, hasFactor: boolean) => ({
  password: page.t('login.password'), ...(hasFactor ? { code: page.t('mfa.reproof.code_label') } : {}),
});

/** The password and (when the account has one) a current second factor, asked again before a change. */
export function reproofFields(page: PageContext, v: { hasFactor: boolean; errors: ReproofErrors }): SafeHtml {
  const { t } = page;
  return html`<fieldset>
  <legend>${t(v.hasFactor ? 'mfa.reproof.legend' : 'mfa.reproof.legend_password')}</legend>
  ${field({ name: 'password', type: 'password', label: t('login.password'), error: v.errors.password, autocomplete: 'current-password', maxlength: 128 })}
  ${v.hasFactor ? field({ name: 'code', label: t('mfa.reproof.code_label'), error: v.errors.code, hint: t('mfa.verify.hint'), autocomplete: 'one-time-code', maxlength: 20 }) : ''}
</fieldset>`;
}

export function twoFactorPage(page: PageContext, v: TwoFactorView): SafeHtml {
  const { t } = page;
  return layout(page, t('mfa.account.title'), html`
<h1>${t('mfa.account.title')}</h1>
${v.notice ? html`<p class="notice" role="status">${v.notice}</p>` : ''}
<p>${t('mfa.account.intro')}</p>
<section aria-labelledby="h-methods">
<h2 id="h-methods">${t('mfa.account.methods')}</h2>
${v.methods.length ? html`<table class="methods">
<thead><tr><th scope="col">${t('mfa.account.name')}</th><th scope="col">${t('mfa.account.kind')}</th><th scope="col">${t('mfa.account.added')}</th><th scope="col">${t('mfa.account.last_used')}</th><th scope="col">${t('mfa.account.actions')}</th></tr></thead>
<tbody>${v.methods.map((m) => html`<tr><td>${m.name}</td><td>${m.kind}</td><td>${m.added}</td><td>${m.lastUsed}</td>
<td><a href="${TWO_FACTOR_PATH}/${m.id}/rename" aria-label="${t('mfa.account.rename_label', { name: m.name })}">${t('mfa.account.rename')}</a> · <a href="${TWO_FACTOR_PATH}/${m.id}/remove" aria-label="${t('mfa.account.remove_label', { name: m.name })}">${t('mfa.account.remove')}</a></td></tr>`)}</tbody>
</table>` : html`<p>${t('mfa.account.none')}</p>`}
<p><a href="${TWO_FACTOR_PATH}/app">${t('mfa.account.add_app')}</a></p>
${v.passkeys ? html`<p><a href="${TWO_FACTOR_PATH}/passkey">${t('mfa.account.add_passkey')}</a></p>` : ''}
</section>
${v.methods.length ? html`<section aria-labelledby="h-recovery">
<h2 id="h-recovery">${t('mfa.account.recovery')}</h2>
<p>${t('mfa.account.recovery_left', { left: v.recoveryCodesLeft })}</p>
<p><a href="${TWO_FACTOR_PATH}/recovery-codes">${t('mfa.account.regenerate')}</a></p>
</section>` : ''}
<p><a href="/account">${t('account.back')}</a></p>`, { wide: true });
}

/** One change's form: what it is, its own fields (if any), the re-proof fields, the button. */
export function changePage(page: PageContext, v: {
  title: string; intro: string; warning?: string; action: string; submit: string; hasFactor: boolean;
  name?: { value: string; error?: string; label?: string }; errors: ReproofErrors;
  /** With passkeys on record: a second button proves one instead of the code (/static/passkey.js). */
  passkeyOptions?: unknown;
}): SafeHtml {
  const { t } = page;
  const nameLabel = v.name?.label ?? t('mfa.account.new_name');
  const labels = { ...(v.name ? { name: nameLabel } : {}), ...reproofLabels(page, v.hasFactor) };
  return layout(page, v.title, html`
<h1>${v.title}</h1>
<p>${v.intro}</p>
${v.warning ? html`<p class="notice">${v.warning}</p>` : ''}
${errorSummary(t, { name: v.name?.error, ...v.errors }, labels)}
<form method="post" action="${v.action}" novalidate${v.passkeyOptions ? html` data-passkey="authenticate" data-options="${JSON.stringify(v.passkeyOptions)}"` : ''}>
  ${csrfField(page)}
  ${v.passkeyOptions ? html`<input type="hidden" name="response" value="">` : ''}
  ${v.name ? field({ name: 'name', label: nameLabel, value: v.name.value, error: v.name.error, maxlength: 64 }) : ''}
  ${reproofFields(page, { hasFactor: v.hasFactor, errors: v.errors })}
  <button type="submit" class="primary">${v.submit}</button>
  ${v.passkeyOptions ? html`<button type="submit" class="secondary" data-passkey-button hidden>${t('mfa.reproof.passkey_submit')}</button>` : ''}
</form>
${v.passkeyOptions ? html`<script type="module" src="/static/passkey.js"></script>` : ''}
${back(page)}`);
}
