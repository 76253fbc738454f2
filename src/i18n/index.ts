/** Message lookup: every user-facing string goes through here. */
import { en } from './en/index.js';
import { it } from './it/index.js';

export type MessageKey = keyof typeof en;
export type Catalog = Record<MessageKey, string>;
export const LOCALES = ['en', 'it'] as const;
export type Locale = (typeof LOCALES)[number];

const catalogs: Record<Locale, Catalog> = { en, it };

export const isLocale = (v: unknown): v is Locale => typeof v === 'string' && (LOCALES as readonly string[]).includes(v);

export function translate(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = catalogs[locale][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export type Translator = (key: MessageKey, params?: Record<string, string | number>) => string;
export const translator = (locale: Locale): Translator => (key, params) => translate(locale, key, params);

/** Picks the best of our languages from ui_locales / Accept-Language style lists ("it-IT,it;q=0.9,en;q=0.8"). */
export function negotiate<F extends Locale | undefined>(header: string | undefined, fallback: F): Locale | F {
  if (!header) return fallback;
  const ranked = header.split(/[,\s]+/).map((part, index) => {
    const [tag = '', ...params] = part.split(';');
    const q = Number(params.find((p) => p.trim().startsWith('q='))?.split('=')[1] ?? 1);
    return { lang: tag.trim().toLowerCase().split('-')[0], q: Number.isFinite(q) ? q : 0, index };
  }).filter((r) => r.q > 0).sort((a, b) => b.q - a.q || a.index - b.index);
  return (ranked.find((r) => isLocale(r.lang))?.lang as Locale | undefined) ?? fallback;
}
