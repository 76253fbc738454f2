/** The new-password fields every password change shares: (current,) new, repeat — labelled, with errors beside them. */
import type { Translator } from '../../src/i18n/index.js';
import { field } from './fields.js';
import { html, type SafeHtml } from './html.js';

export type Errors = Record<string, string | undefined>;

export function passwordFields(t: Translator, errors: Errors, o: { current?: boolean; login?: string } = {}): SafeHtml {
  return html`${o.login ? html`<input type="hidden" name="username" value="${o.login}" autocomplete="username">` : ''}
  ${o.current ? field({ name: 'current', label: t('newpw.current'), type: 'password', error: errors.current, autocomplete: 'current-password', maxlength: 128 }) : ''}
  ${field({ name: 'password', label: t('newpw.password'), type: 'password', error: errors.password, hint: t('newpw.hint'), autocomplete: 'new-password', maxlength: 128 })}
  ${field({ name: 'password_confirm', label: t('newpw.confirm'), type: 'password', error: errors.password_confirm, autocomplete: 'new-password', maxlength: 128 })}`;
}
