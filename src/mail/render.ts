/** Builds a mail in the person's language: one layout, HTML and plain text from the same parts. */
import { escapeHtml } from '../../interactions/views/html.js';
import type { Translator } from '../i18n/index.js';
import type { Mail } from './mailer.js';

export interface MailParts {
  subject: string;
  /** The given name of the person written to: every mail opens with the same greeting (mail.greeting). */
  name: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  /** Shown after the action (e.g. how long the link is valid). */
  after?: string[];
  /** A notice nobody asked for: bounded per recipient per day (see Mail.notice). */
  notice?: boolean;
}

export function renderMail(t: Translator, to: string, parts: MailParts): Mail {
  const footer = t('mail.footer');
  const greeting = t('mail.greeting', { name: parts.name });
  const text = [
    greeting, ...parts.paragraphs,
    parts.action ? `${parts.action.label}:\n${parts.action.url}` : undefined,
    ...(parts.after ?? []), '--', footer,
  ].filter((p): p is string => p !== undefined).join('\n\n');
  const p = (s: string) => `<p>${escapeHtml(s)}</p>`;
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(parts.subject)}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1b1f24;max-width:36rem">
${p(greeting)}${parts.paragraphs.map(p).join('')}
${parts.action ? `<p><a href="${escapeHtml(parts.action.url)}" style="display:inline-block;padding:10px 16px;background:#0b57a4;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(parts.action.label)}</a></p><p style="font-size:.875rem;color:#57606a">${escapeHtml(parts.action.url)}</p>` : ''}
${(parts.after ?? []).map(p).join('')}
<hr><p style="font-size:.875rem;color:#57606a">${escapeHtml(footer)}</p></body></html>`;
  return { to, subject: parts.subject, text, html, ...(parts.notice ? { notice: true } : {}) };
}
