/** The mails of access codes, the inactive-account lifecycle and helpdesk address changes, in the person's language. */
import { formatDate } from '../i18n/format.js';
import { translator, type Locale, type Translator } from '../i18n/index.js';
import type { Mail } from './mailer.js';
import { renderMail } from './render.js';

/** The helpdesk as people are told about it: HELPDESK_CONTACT, or "the university helpdesk". */
export const helpdesk = (t: Translator, contact: string) => contact || t('access.helpdesk');

export function accessCodeMail(o: { locale: Locale; to: string; givenName: string; clientName: string; code: string; expiresAt: number; timeZone: string }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    subject: t('mail.access_code.subject', { client: o.clientName }),
    name: o.givenName,
    paragraphs: [t('mail.access_code.intro', { client: o.clientName }), t('mail.access_code.code', { code: o.code })],
    after: [t('mail.access_code.valid', { date: formatDate(o.locale, o.expiresAt, o.timeZone) }), t('mail.access_code.ignore')],
  });
}

export function inactivityWarningMail(o: {
  locale: Locale; to: string; givenName: string; login: string; lastUsedAt: number; disableOn: number; graceDays: number; timeZone: string; helpdesk: string;
}): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    subject: t('mail.inactive.subject'),
    name: o.givenName,
    paragraphs: [
      t('mail.inactive.intro', { login: o.login, since: formatDate(o.locale, o.lastUsedAt, o.timeZone) }),
      t('mail.inactive.when', { date: formatDate(o.locale, o.disableOn, o.timeZone), days: o.graceDays }),
      t('mail.inactive.keep'),
    ],
    after: [t('mail.inactive.help', { contact: helpdesk(t, o.helpdesk) })],
  });
}

/** To the address the helpdesk set: confirm it is yours. */
export function emailVerifyMail(o: { locale: Locale; to: string; givenName: string; login: string; link: string; hours: number }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    subject: t('mail.email_verify.subject'),
    name: o.givenName,
    paragraphs: [t('mail.email_verify.intro', { login: o.login })],
    action: { label: t('mail.email_verify.action'), url: o.link },
    after: [t('mail.email_verify.valid', { hours: o.hours })],
  });
}

/** To the previous address: the helpdesk changed it (someone talking the helpdesk into it would be noticed). */
export function emailSetNoticeMail(o: { locale: Locale; to: string; givenName: string; login: string; helpdesk: string }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    notice: true,
    subject: t('mail.email_set.subject'),
    name: o.givenName,
    paragraphs: [t('mail.email_set.intro', { login: o.login })],
    after: [t('mail.email_set.not_you', { contact: helpdesk(t, o.helpdesk) })],
  });
}
