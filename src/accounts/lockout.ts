/**
 * Brute-force protection per account, kept in the accounts table so it holds across processes and
 * restarts. After LOGIN_DELAY_AFTER_FAILURES wrong passwords in a row, the next attempt is only
 * weighed after a growing delay (1 s, 2 s, 4 s … 60 s); at LOGIN_LOCKOUT_THRESHOLD the account locks for
 * LOGIN_LOCKOUT_MINUTES. A correct password resets the count. Whoever has not proved the password gets
 * the same "Invalid username or password" as for a wrong one.
 */
import type { Config } from '../../config/schema.js';
import type { Clock } from '../clock.js';
import type { Db } from '../storage/db.js';
import type { Account } from './account.js';

export type Gate = { open: true } | { open: false; reason: 'locked' | 'too_soon'; until: number };

export class Lockout {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly config: Pick<Config, 'loginDelayAfterFailures' | 'loginLockoutThreshold' | 'loginLockoutMinutes'>,
  ) {}

  /** Milliseconds an account must wait after its last failure before the next attempt counts. */
  delayAfter(failures: number): number {
    const over = failures - this.config.loginDelayAfterFailures;
    return over < 0 ? 0 : Math.min(60_000, 1000 * 2 ** over);
  }

  /** May a password attempt for this account be weighed now? */
  gate(account: Account): Gate {
    const now = this.clock.now();
    if (account.lockedUntil !== null && account.lockedUntil > now) return { open: false, reason: 'locked', until: account.lockedUntil };
    if (account.lockedUntil === null && account.lastFailedAt !== null) {
      const until = account.lastFailedAt + this.delayAfter(account.failedLogins);
      if (until > now) return { open: false, reason: 'too_soon', until };
    }
    return { open: true };
  }

  /** Counts a wrong password; returns the lock's end when this failure locked the account. */
  async recordFailure(account: Account): Promise<number | undefined> {
    const now = this.clock.now();
    // A lock that has run out starts a fresh count.
    const expired = account.lockedUntil !== null && account.lockedUntil <= now;
    await this.db('accounts').where({ id: account.id }).update({
      failed_logins: expired ? 1 : this.db.raw('failed_logins + 1'),
      last_failed_at: now,
      ...(expired ? { locked_until: null } : {}),
    });
    const row = (await this.db('accounts').where({ id: account.id }).first('failed_logins', 'locked_until')) as { failed_logins: number | string; locked_until: unknown };
    if (Number(row.failed_logins) < this.config.loginLockoutThreshold || row.locked_until !== null) return undefined;
    const until = now + this.config.loginLockoutMinutes * 60_000;
    // Only one of several racing processes locks (and so only one notice is sent).
    const locked = await this.db('accounts').where({ id: account.id }).whereNull('locked_until').update({ locked_until: until });
    return locked ? until : undefined;
  }

  async recordSuccess(account: Account): Promise<void> {
    if (account.failedLogins === 0 && account.lockedUntil === null) return;
    await this.unlock(account.id);
  }

  /** Clears the count and any lock (`porta users unlock`, a successful sign-in, a password reset). */
  async unlock(accountId: string): Promise<boolean> {
    const n = await this.db('accounts').where({ id: accountId }).update({ failed_logins: 0, last_failed_at: null, locked_until: null });
    return n === 1;
  }
}
