/** The page frame: language, switch, skip link, main landmark. No inline script or style (CSP). */
import { LOCALES, type Locale, type Translator } from '../../src/i18n/index.js';
import { html, type SafeHtml } from './html.js';

export interface PageContext {
  t: Translator;
  locale: Locale;
  requestId: string;
  csrfToken: string;
  /** The URL the language switch links to (a GET page showing the same thing). */
  langBase: string;
}

function withLang(base: string, lang: Locale): string {
  const url = new URL(base, 'http://x');
  url.searchParams.set('lang', lang);
  return url.pathname + url.search;
}

/** `wide`: a page of tables and lists (the personal area), which gets more room on a desktop. */
export function layout(page: PageContext, title: string, body: SafeHtml, options: { wide?: boolean } = {}): SafeHtml {
  const { t, locale } = page;
  return html`<!DOCTYPE html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${t('app.name')}</title>
<link rel="stylesheet" href="/static/porta.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<a class="skip" href="#main">${t('skip.main')}</a>
<header class="top">
  <span class="brand">${t('app.name')}<span class="tagline"> · ${t('app.tagline')}</span></span>
  <nav aria-label="${t('lang.label')}" class="lang">
    ${LOCALES.map((l) => (l === locale
    ? html`<span aria-current="true" lang="${l}">${t(`lang.${l}`)}</span>`
    : html`<a href="${withLang(page.langBase, l)}" lang="${l}" hreflang="${l}">${t(`lang.${l}`)}</a>`))}
  </nav>
</header>
<main id="main" class="card${options.wide ? ' wide' : ''}">
${body}
</main>
</body>
</html>
`;
}

export const csrfField = (page: PageContext) => html`<input type="hidden" name="_csrf" value="${page.csrfToken}">`;

/** An error summary that screen readers announce as soon as the page loads. */
/** The alert at the top of a page: text, or markup built with `html` (e.g. with a link). */
export const alertBox = (message: string | SafeHtml | undefined) => (message ? html`<div class="alert" role="alert" id="form-error">${message}</div>` : html``);
