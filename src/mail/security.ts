/** Security notices about an account. */
import { formatDateTime } from '../i18n/format.js';
import { translator, type Locale } from '../i18n/index.js';
import type { Mail } from './mailer.js';
import { renderMail } from './render.js';

export function lockoutMail(o: { locale: Locale; to: string; givenName: string; failures: number; until: number; timeZone: string; recoverUrl: string }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    notice: true,
    subject: t('mail.lockout.subject'),
    name: o.givenName,
    paragraphs: [t('mail.lockout.intro', { failures: o.failures, until: formatDateTime(o.locale, o.until, o.timeZone) }), t('mail.lockout.not_you')],
    action: { label: t('mail.lockout.action'), url: o.recoverUrl },
  });
}
