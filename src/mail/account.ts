/** The mails of account self-service, in the person's language. None of them carries a password. */
import type { Account } from '../accounts/account.js';
import { isLocale, translator, type Locale } from '../i18n/index.js';
import type { Mail } from './mailer.js';
import { renderMail } from './render.js';

/** The account's own language when it has one, else the language of the page that caused the mail. */
export const mailLocale = (account: Pick<Account, 'locale'>, fallback: Locale): Locale => (isLocale(account.locale) ? account.locale : fallback);

/** How the account is named in mails: its username, else its person code. */
export const loginName = (account: Pick<Account, 'username' | 'personCode'>) => account.username ?? account.personCode;

export function resetMail(o: { locale: Locale; to: string; givenName: string; login: string; link: string; minutes: number }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    subject: t('mail.reset.subject'),
    name: o.givenName,
    paragraphs: [t('mail.reset.intro', { login: o.login })],
    action: { label: t('mail.reset.action'), url: o.link },
    after: [t('mail.reset.valid', { minutes: o.minutes }), t('mail.reset.ignore')],
  });
}

export function resetFederatedMail(o: { locale: Locale; to: string; givenName: string }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    subject: t('mail.reset_federated.subject'),
    name: o.givenName,
    paragraphs: [t('mail.reset_federated.intro')],
    after: [t('mail.reset.ignore')],
  });
}

export function usernameMail(o: { locale: Locale; to: string; givenName: string; username: string | null; personCode: string }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    subject: t('mail.username.subject'),
    name: o.givenName,
    paragraphs: o.username
      ? [t('mail.username.intro'), t('mail.username.username', { username: o.username }), t('mail.username.person_code', { code: o.personCode }), t('mail.username.either')]
      : [t('mail.username.intro'), t('mail.username.person_code', { code: o.personCode }), t('mail.username.code_only')],
    after: [t('mail.username.ignore')],
  });
}

/** After any password change; `everywhere` when every session ended (a reset), not only the others. */
export function passwordChangedMail(o: { locale: Locale; to: string; givenName: string; login: string; date: string; everywhere: boolean; recoverUrl: string }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    notice: true,
    subject: t('mail.password_changed.subject'),
    name: o.givenName,
    paragraphs: [
      t('mail.password_changed.intro', { login: o.login, date: o.date }),
      t(o.everywhere ? 'mail.password_reset_done.signed_out' : 'mail.password_changed.signed_out'),
    ],
    after: [t('mail.account.not_you', { url: o.recoverUrl })],
  });
}

export function emailConfirmMail(o: { locale: Locale; to: string; givenName: string; login: string; link: string; hours: number }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    subject: t('mail.email_confirm.subject'),
    name: o.givenName,
    paragraphs: [t('mail.email_confirm.intro', { login: o.login })],
    action: { label: t('mail.email_confirm.action'), url: o.link },
    after: [t('mail.email_confirm.valid', { hours: o.hours }), t('mail.email_confirm.ignore')],
  });
}

/** To the holder of an address someone asked to move to another account: nothing changed, and how to get in. */
export function emailInUseMail(o: { locale: Locale; to: string; givenName: string; recoverUsernameUrl: string; recoverPasswordUrl: string }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    notice: true,
    name: o.givenName,
    subject: t('mail.email_in_use.subject'),
    paragraphs: [t('mail.email_in_use.intro'), t('mail.email_in_use.recover', { username: o.recoverUsernameUrl, password: o.recoverPasswordUrl })],
    after: [t('mail.email_in_use.ignore')],
  });
}

/** To the old address: a change was asked for, with the link that stops (or undoes) it. */
export function emailChangeNoticeMail(o: { locale: Locale; to: string; givenName: string; login: string; newEmail: string; reportLink: string; days: number }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    notice: true,
    subject: t('mail.email_change_notice.subject'),
    name: o.givenName,
    paragraphs: [t('mail.email_change_notice.intro', { login: o.login, email: o.newEmail })],
    action: { label: t('mail.email_change_notice.action'), url: o.reportLink },
    after: [t('mail.email_change_notice.valid', { days: o.days })],
  });
}
