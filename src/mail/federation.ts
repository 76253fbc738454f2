/** Notices about the institution accounts linked to a Porta account. */
import { translator, type Locale } from '../i18n/index.js';
import type { Mail } from './mailer.js';
import { renderMail } from './render.js';

export function institutionLinkedMail(o: { locale: Locale; to: string; givenName: string; institution: string; accountUrl: string }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    notice: true,
    subject: t('mail.federation_linked.subject'),
    name: o.givenName,
    paragraphs: [t('mail.federation_linked.intro', { institution: o.institution }), t('mail.federation_linked.not_you')],
    action: { label: t('mail.federation.action'), url: o.accountUrl },
  });
}

export function institutionUnlinkedMail(o: { locale: Locale; to: string; givenName: string; institution: string; accountUrl: string }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    notice: true,
    subject: t('mail.federation_unlinked.subject'),
    name: o.givenName,
    paragraphs: [t('mail.federation_unlinked.intro', { institution: o.institution })],
    action: { label: t('mail.federation.action'), url: o.accountUrl },
  });
}
