/**
 * The helpdesk sets someone's address (`porta users set-email`, for a person who lost theirs), no HTTP
 * in here. An active account gets the address unverified and a link to confirm it (EMAIL_CHANGE_TTL_HOURS,
 * single use; the page is interactions/access.ts at /email/verify); the previous address is told. A
 * pending registration gets a new activation link at the new address instead.
 */
import type { Account } from '../accounts/account.js';
import { isLocale, type Locale } from '../i18n/index.js';
import { emailSetNoticeMail, emailVerifyMail } from '../mail/access.js';
import type { Mail } from '../mail/mailer.js';
import { activationMail } from '../mail/registration.js';
import type { Services } from '../services.js';
import type { FlowKind } from './flows.js';

/**
 * Its own kind, so a confirmation link opens nothing else and does not end a self-service email change.
 * Not (yet) in FlowKind, which src/flows/flows.ts owns: the flows table stores the kind as text.
 */
export const EMAIL_VERIFY = 'email_verify' as FlowKind;

export interface EmailVerifyData extends Record<string, unknown> { email: string }

const localeOf = (s: Services, account: Pick<Account, 'locale'>): Locale => (isLocale(account.locale) ? account.locale : s.config.defaultLocale);
const loginOf = (account: Pick<Account, 'username' | 'personCode'>) => account.username ?? account.personCode;

export interface Sent { to: string; mail: Mail }

/** Starts the confirmation of the account's current address and returns the mail to send. */
export async function emailVerification(s: Services, account: Account, issuer: string): Promise<Sent> {
  const email = account.email!;
  const { token } = await s.flows.start<EmailVerifyData>({ kind: EMAIL_VERIFY, accountId: account.id, ttlMs: s.config.emailChangeTtlHours * 3600_000, data: { email } });
  return {
    to: email,
    mail: emailVerifyMail({ locale: localeOf(s, account), to: email, givenName: account.givenName, login: loginOf(account), link: `${issuer}/email/verify?token=${token}`, hours: s.config.emailChangeTtlHours }),
  };
}

/** The notice to the address the helpdesk replaced. */
export function emailReplacedNotice(s: Services, account: Account, previous: string): Sent {
  return { to: previous, mail: emailSetNoticeMail({ locale: localeOf(s, account), to: previous, givenName: account.givenName, login: loginOf(account), helpdesk: s.config.helpdeskContact }) };
}

/**
 * A new activation link for a pending registration (the previous one stops working), as registration
 * sends it: the same flow kind and page (/activate), the same mail.
 */
export async function activationLink(s: Services, account: Account, issuer: string): Promise<Sent> {
  const mode = s.config.registrationMode;
  const { token } = await s.flows.start({ kind: mode === 'assigned-code' ? 'set_password' : 'activation', accountId: account.id, ttlMs: s.config.activationTtlHours * 3600_000, data: {} });
  return {
    to: account.email!,
    mail: activationMail({
      locale: localeOf(s, account), to: account.email!, givenName: account.givenName, personCode: account.personCode,
      link: `${issuer}/activate?token=${token}`, ttlHours: s.config.activationTtlHours, mode,
    }),
  };
}
