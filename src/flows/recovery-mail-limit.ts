/**
 * Recovery mails one account may be sent per hour (RECOVERY_MAILS_PER_ACCOUNT_PER_HOUR), shared by
 * forgot-password and forgot-username. Over the limit the person still sees "if it matched, we sent it".
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { spend, Throttled } from '../http/rate-limit.js';
import type { Services } from '../services.js';

export class RecoveryMailLimit {
  private readonly limiter: RateLimiterAbstract;

  constructor(s: Services) {
    this.limiter = s.rateLimits.limiter('recovery-mail', s.config.recoveryMailsPerAccountPerHour, 3600);
  }

  /** Takes one mail from the account's allowance; false when none is left. */
  async take(accountId: string): Promise<boolean> {
    try {
      await spend(this.limiter, `account:${accountId}`);
      return true;
    } catch (err) {
      if (err instanceof Throttled) return false;
      throw err;
    }
  }
}
