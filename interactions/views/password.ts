/** The new-password fields every password change shares: (current,) new, repeat — labelled, with errors beside them. */
import type { Translator } from '../../src/i18n/index.js';
import { field } from './fields.js';
import { html, type SafeHtml } from './html.js';

export type Errors = Record<string, string | undefined>;

/** The labels of the fields below, for the form's error summary. */
export function passwordLabels(t: Translator): Record<string, string> {
  return { current: t('newpw.current'), password: t('newpw.password'), password_confirm: t('newpw.confirm') };
}

export function passwordFields(t: Translator, errors: Errors, o: { current?: boolean; login?: string } = {}): SafeHtml {
  const label = passwordLabels(t);
  return html`${o.login ? html`<input type="hidden" name="username" value="${o.login}" autocomplete="username">` : ''}
  ${o.current ? field({ name: 'current', label: label.current!, type: 'password', error: errors.current, autocomplete: 'current-password', maxlength: 128 }) : ''}
  ${field({ name: 'password', label: label.password!, type: 'password', error: errors.password, hint: t('newpw.hint'), autocomplete: 'new-password', maxlength: 128 })}
  ${field({ name: 'password_confirm', label: label.password_confirm!, type: 'password', error: errors.password_confirm, autocomplete: 'new-password', maxlength: 128 })}`;
}
