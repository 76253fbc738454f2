/** Dates and times as people read them: in their language and in the university's time zone (TIME_ZONE). */
import type { Locale } from './index.js';

const TAGS: Record<Locale, string> = { en: 'en-GB', it: 'it-IT' };

export function formatDate(locale: Locale, ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat(TAGS[locale], { dateStyle: 'long', timeZone }).format(ms);
}

export function formatDateTime(locale: Locale, ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat(TAGS[locale], { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(ms);
}
