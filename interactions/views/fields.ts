/**
 * Form fields with their label, hint and error: the error sits next to the field, is tied to it with
 * aria-describedby, and the field is marked aria-invalid. Pages list their errors in an alert at the top.
 */
import type { Translator } from '../../src/i18n/index.js';
import { html, type SafeHtml } from './html.js';

export interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'password' | 'email' | 'tel' | 'date' | 'hidden';
  value?: string;
  error?: string;
  hint?: string;
  autocomplete?: string;
  maxlength?: number;
  required?: boolean;
  inputmode?: 'numeric' | 'email' | 'tel' | 'text';
}

export function field(f: FieldSpec): SafeHtml {
  const id = `f-${f.name}`;
  const described = [f.hint ? `${id}-hint` : '', f.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
  <label for="${id}">${f.label}</label>
  ${f.hint ? html`<p class="hint" id="${id}-hint">${f.hint}</p>` : ''}
  <input id="${id}" name="${f.name}" type="${f.type ?? 'text'}"${f.type === 'password' ? '' : html` value="${f.value ?? ''}"`}${f.autocomplete ? html` autocomplete="${f.autocomplete}"` : ''}${f.maxlength ? html` maxlength="${f.maxlength}"` : ''}${f.inputmode ? html` inputmode="${f.inputmode}"` : ''}${f.required === false ? '' : html` required`}${described ? html` aria-describedby="${described}"` : ''}${f.error ? html` aria-invalid="true"` : ''}>
  ${f.error ? html`<p class="field-error" id="${id}-error">${f.error}</p>` : ''}
</div>`;
}

export function checkbox(f: { name: string; label: SafeHtml | string; checked?: boolean; error?: string }): SafeHtml {
  const id = `f-${f.name}`;
  return html`<div class="field checkbox">
  <input id="${id}" name="${f.name}" type="checkbox" value="yes"${f.checked ? html` checked` : ''}${f.error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
  <label for="${id}">${f.label}</label>
  ${f.error ? html`<p class="field-error" id="${id}-error">${f.error}</p>` : ''}
</div>`;
}

/**
 * The summary at the top of a form that failed: announced by screen readers, links to each field and names it
 * ("Repeat the new password: This field is required."), since the messages themselves are often the same.
 * `labels` holds the label of every field the form shows, the same strings its `field()`s use.
 */
export function errorSummary(t: Translator, errors: Record<string, string | undefined>, labels: Record<string, string>): SafeHtml {
  // In the order of the form (the order of `labels`), whatever order the checks ran in.
  const order = Object.keys(labels);
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  const entries = Object.entries(errors).filter((e): e is [string, string] => Boolean(e[1])).sort(([a], [b]) => rank(a) - rank(b));
  if (!entries.length) return html``;
  return html`<div class="alert" role="alert" id="form-error">
  <p>${t('form.has_errors')}</p>
  <ul>${entries.map(([name, message]) => html`<li><a href="#f-${name}">${labels[name] ? `${labels[name]}: ${message}` : message}</a></li>`)}</ul>
</div>`;
}

/**
 * A memorable date (date of birth) as three labelled fields — day, month, year — as accessibility guides
 * recommend: no picker whose order follows the browser's locale while the hint follows the page's, so
 * what is stored is what the person meant. Named `${name}_day`, `_month`, `_year`; read with forms.ts dateParts.
 * The day field has the id `f-${name}`, so the error summary's link lands on it.
 */
export function dateField(t: Translator, f: { name: string; legend: string; values: Record<string, string | undefined>; error?: string; hint?: string }): SafeHtml {
  const id = `f-${f.name}`;
  const described = [f.hint ? `${id}-hint` : '', f.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const part = (key: 'day' | 'month' | 'year', inputId: string, size: number) => html`<div class="date-part">
    <label for="${inputId}">${t(`date.${key}`)}</label>
    <input id="${inputId}" name="${f.name}_${key}" type="text" inputmode="numeric" pattern="[0-9]*" maxlength="${size}" size="${size}" value="${f.values[`${f.name}_${key}`] ?? ''}" autocomplete="bday-${key}" required${f.error ? html` aria-invalid="true"` : ''}>
  </div>`;
  return html`<fieldset class="field date" role="group"${described ? html` aria-describedby="${described}"` : ''}>
  <legend>${f.legend}</legend>
  ${f.hint ? html`<p class="hint" id="${id}-hint">${f.hint}</p>` : ''}
  <div class="date-parts">${part('day', id, 2)}${part('month', `${id}-month`, 2)}${part('year', `${id}-year`, 4)}</div>
  ${f.error ? html`<p class="field-error" id="${id}-error">${f.error}</p>` : ''}
</fieldset>`;
}
