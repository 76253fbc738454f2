/**
 * Forgot username, no HTTP in here: the address receives its account's username and person code. The
 * request answers the same whether or not the address is known; the mail goes out in the background.
 */
import { checkEmail } from '../accounts/validation.js';
import type { Locale } from '../i18n/index.js';
import { mailLocale, usernameMail } from '../mail/account.js';
import type { Services } from '../services.js';
import { inBackground } from './background.js';
import { RecoveryMailLimit } from './recovery-mail-limit.js';

export class UsernameReminder {
  private readonly mailLimit: RecoveryMailLimit;

  constructor(private readonly s: Services) {
    this.mailLimit = new RecoveryMailLimit(s);
  }

  async request(email: string, o: { ip: string; locale: Locale }): Promise<void> {
    const { s } = this;
    const checked = checkEmail(email);
    const account = checked.value ? await s.accounts.findByEmail(checked.value) : undefined;
    const usable = account?.status === 'active' && account.email ? account : undefined;
    await s.audit.record({ action: 'username_reminder.requested', actor: 'anonymous', accountId: account?.id ?? null, ip: o.ip, details: { matched: Boolean(usable) } });
    if (!usable) return;
    inBackground(s, 'username reminder mail', async () => {
      if (!(await this.mailLimit.take(usable.id))) {
        await s.audit.record({ action: 'username_reminder.mail_limited', actor: 'system', accountId: usable.id, ip: o.ip });
        return;
      }
      await s.mailer.send(usernameMail({
        locale: mailLocale(usable, o.locale), to: usable.email!, givenName: usable.givenName, username: usable.username, personCode: usable.personCode,
      }));
      await s.audit.record({ action: 'username_reminder.mailed', actor: 'system', accountId: usable.id, ip: o.ip });
    });
  }
}
