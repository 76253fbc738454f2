/** Tells the holder of an account about every change to its second factors, in their language. */
import type { Account } from '../accounts/account.js';
import { sendInBackground } from '../flows/background.js';
import { isLocale, translator } from '../i18n/index.js';
import { helpdesk } from '../mail/access.js';
import type { Mail } from '../mail/mailer.js';
import { mfaChangeMail, type MfaChange } from '../mail/mfa.js';
import type { Services } from '../services.js';

/** The mail telling the holder of `change`; undefined when the account has no address. */
export function mfaChangeNotice(s: Services, issuer: string, account: Account, change: MfaChange): Mail | undefined {
  if (!account.email) return undefined;
  const locale = isLocale(account.locale) ? account.locale : s.config.defaultLocale;
  return mfaChangeMail({
    locale, to: account.email, givenName: account.givenName, change, accountUrl: `${issuer}/account`,
    helpdesk: helpdesk(translator(locale), s.config.helpdeskContact),
  });
}

/** Sends it off the request path (the pages' changes). */
export function notifyMfaChange(s: Services, issuer: string, account: Account, change: MfaChange): void {
  const mail = mfaChangeNotice(s, issuer, account, change);
  if (mail) sendInBackground(s, mail, `2FA ${change.kind}`);
}
