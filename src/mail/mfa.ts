/** The mails of two-factor authentication, in the person's language. */
import { translator, type Locale } from '../i18n/index.js';
import type { Mail } from './mailer.js';
import { renderMail } from './render.js';

interface To { locale: Locale; to: string; givenName: string }

/** The code confirming a set-up: it goes to the verified address, so a stolen password alone cannot plant a factor. */
export function enrolmentCodeMail(o: To & { code: string; minutes: number }): Mail {
  const t = translator(o.locale);
  return renderMail(t, o.to, {
    subject: t('mail.mfa_code.subject'),
    name: o.givenName,
    paragraphs: [t('mail.mfa_code.intro'), t('mail.mfa_code.code', { code: o.code })],
    after: [t('mail.mfa_code.valid', { minutes: o.minutes }), t('mail.mfa_code.not_you')],
  });
}

export type MfaChange =
  | { kind: 'added'; name: string }
  | { kind: 'removed'; name: string }
  | { kind: 'renamed'; name: string; from: string }
  | { kind: 'codes_regenerated' }
  | { kind: 'code_used'; left: number }
  | { kind: 'reset' };

/** A change to the account's second factors, told to its holder whoever made it. */
export function mfaChangeMail(o: To & { change: MfaChange; accountUrl: string; helpdesk: string }): Mail {
  const t = translator(o.locale);
  const c = o.change;
  const what = {
    added: () => t('mail.mfa.added', { name: (c as { name: string }).name }),
    removed: () => t('mail.mfa.removed', { name: (c as { name: string }).name }),
    renamed: () => t('mail.mfa.renamed', { name: (c as { name: string }).name, from: (c as { from: string }).from }),
    codes_regenerated: () => t('mail.mfa.codes_regenerated'),
    code_used: () => t('mail.mfa.code_used', { left: (c as { left: number }).left }),
    reset: () => t('mail.mfa.reset'),
  }[c.kind]();
  return renderMail(t, o.to, {
    notice: true,
    subject: t(`mail.mfa.subject.${c.kind}`),
    name: o.givenName,
    paragraphs: [what, ...(c.kind === 'code_used' && c.left <= 3 ? [t('mail.mfa.codes_low')] : [])],
    action: { label: t('mail.mfa.action'), url: o.accountUrl },
    after: [t('mail.mfa.not_you', { contact: o.helpdesk })],
  });
}
