/**
 * Boundary checks for the personal data people type: each returns the clean value or the message id
 * to show next to the field. Values are Unicode-normalised, trimmed and bounded.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { MessageKey } from '../i18n/index.js';

export type Checked<T> = { value: T; error?: undefined } | { value?: undefined; error: MessageKey };

const CONTROL = /[\p{Cc}\p{Cf}]/u;
const NAME = /^[\p{L}\p{M}][\p{L}\p{M} .'’-]*$/u;

export function checkName(raw: string): Checked<string> {
  const value = raw.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (!value) return { error: 'field.required' };
  if (value.length > 100) return { error: 'field.too_long' };
  if (CONTROL.test(value) || !NAME.test(value)) return { error: 'name.invalid' };
  return { value };
}

/** RFC 5322 dot-atom: atext runs joined by single dots (no quoted strings, no comments, no second `@`). */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** Exactly one `@`, a dot-atom local part and a dotted domain: what we mail to is what was typed. */
export function checkEmail(raw: string): Checked<string> {
  const value = raw.normalize('NFC').trim();
  if (!value) return { error: 'field.required' };
  if (value.length > 254) return { error: 'field.too_long' };
  const parts = value.split('@');
  const [local = '', domain = ''] = parts;
  if (parts.length !== 2 || local.length > 64 || !DOT_ATOM.test(local) || CONTROL.test(value)
    || /[\s<>()[\]\\,;:"]/.test(domain) || !/^[^.@][^@]*\.[^.@]{2,}$/.test(domain) || domain.includes('..')) return { error: 'email.invalid' };
  return { value };
}

/** Stored as E.164; numbers without a prefix are read as numbers of the default region. */
export function checkPhone(raw: string, region: string): Checked<string> {
  const value = raw.normalize('NFKC').trim();
  if (!value) return { error: 'field.required' };
  if (value.length > 32) return { error: 'field.too_long' };
  const phone = parsePhoneNumberFromString(value, region as CountryCode);
  if (!phone || !phone.isValid()) return { error: 'phone.invalid' };
  return { value: phone.format('E.164') };
}

/** A stored (E.164) number as people read it: international format, grouped as in its own country ("+39 333 123 4567"). */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

/** A date as typed in the three fields of a date of birth (day, month, year); see interactions/views/fields.ts dateField. */
export interface DateParts { day: string; month: string; year: string }

/**
 * A real past date, at least `minimumAge` years ago, from its three labelled parts: nothing to guess,
 * so 17/05 can never be stored as 5 December. Returned as YYYY-MM-DD.
 */
export function checkBirthdate(parts: DateParts, minimumAge: number, now: number): Checked<string> {
  const [d, m, y] = [parts.day.trim(), parts.month.trim(), parts.year.trim()];
  if (!d && !m && !y) return { error: 'field.required' };
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) return { error: 'birthdate.invalid' };
  const [year, month, day] = [Number(y), Number(m), Number(d)];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return { error: 'birthdate.invalid' };
  const today = new Date(now);
  if (date.getTime() > now) return { error: 'birthdate.future' };
  let age = today.getUTCFullYear() - year;
  if (today.getUTCMonth() + 1 < month || (today.getUTCMonth() + 1 === month && today.getUTCDate() < day)) age--;
  if (age > 120) return { error: 'birthdate.invalid' };
  if (age < minimumAge) return { error: 'birthdate.too_young' };
  return { value: `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}` };
}
