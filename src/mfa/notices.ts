/** Tells the holder of an account about every change to its second factors, in their language. */
import type { Account } from '../accounts/account.js';
import { sendInBackground } from '../flows/background.js';
import { isLocale, translator } from '../i18n/index.js';
import { helpdesk } from '../mail/access.js';
import { mfaChangeMail, type MfaChange } from '../mail/mfa.js';
import type { Services } from '../services.js';

export function notifyMfaChange(s: Services, issuer: string, account: Account, change: MfaChange): void {
  if (!account.email) return;
  const locale = isLocale(account.locale) ? account.locale : s.config.defaultLocale;
  sendInBackground(s, mfaChangeMail({
    locale, to: account.email, givenName: account.givenName, change, accountUrl: `${issuer}/account`,
    helpdesk: helpdesk(translator(locale), s.config.helpdeskContact),
  }), `2FA ${change.kind}`);
}
