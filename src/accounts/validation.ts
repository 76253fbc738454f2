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

export function checkEmail(raw: string): Checked<string> {
  const value = raw.normalize('NFC').trim();
  if (!value) return { error: 'field.required' };
  if (value.length > 254) return { error: 'field.too_long' };
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (at < 1 || local.length > 64 || /\s|[<>()[\]\\,;:"]/.test(value) || CONTROL.test(value)
    || !/^[^.@][^@]*\.[^.@]{2,}$/.test(domain) || domain.includes('..')) return { error: 'email.invalid' };
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

function parseDate(value: string): [number, number, number] | undefined {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (iso) return [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  const european = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(value);
  if (european) return [Number(european[3]), Number(european[2]), Number(european[1])];
  return undefined;
}

/** A real past date (YYYY-MM-DD, or DD/MM/YYYY as typed where date pickers are missing), at least `minimumAge` years ago. */
export function checkBirthdate(raw: string, minimumAge: number, now: number): Checked<string> {
  const value = raw.trim();
  if (!value) return { error: 'field.required' };
  const parts = parseDate(value);
  if (!parts) return { error: 'birthdate.invalid' };
  const [year, month, day] = parts;
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
