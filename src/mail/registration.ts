/** The mails of registration, in the person's language. */
import { translator, type Locale } from '../i18n/index.js';
import type { Mail } from './mailer.js';
import { renderMail } from './render.js';

export function activationMail(o: { locale: Locale; to: string; givenName: string; personCode: string; link: string; ttlHours: number; mode: 'choose-credentials' | 'assigned-code' }): Mail {
  const t = translator(o.locale);
  if (o.mode === 'assigned-code') {
    return renderMail(t, o.to, {
      subject: t('mail.set_password.subject'),
      name: o.givenName,
      paragraphs: [t('mail.set_password.intro'), t('mail.person_code', { code: o.personCode })],
      action: { label: t('mail.set_password.action'), url: o.link },
      after: [t('mail.link_valid_hours', { hours: o.ttlHours })],
    });
  }
  return renderMail(t, o.to, {
    subject: t('mail.activation.subject'),
    name: o.givenName,
    paragraphs: [t('mail.activation.intro'), t('mail.person_code', { code: o.personCode })],
    action: { label: t('mail.activation.action'), url: o.link },
    after: [t('mail.link_valid_hours', { hours: o.ttlHours })],
  });
}

/** To the holder of an address someone tried to register again: no second account, and how to get in. */
export function registrationAttemptMail(o: { locale: Locale; to: string; givenName: string; signInUrl: string; recoverPasswordUrl: string; recoverUsernameUrl: string }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    notice: true,
    name: o.givenName,
    subject: t('mail.attempt.subject'),
    paragraphs: [t('mail.attempt.intro'), t('mail.attempt.yours'), t('mail.attempt.recover', { password: o.recoverPasswordUrl, username: o.recoverUsernameUrl })],
    action: { label: t('mail.attempt.sign_in'), url: o.signInUrl },
    after: [t('mail.attempt.not_you')],
  });
}
