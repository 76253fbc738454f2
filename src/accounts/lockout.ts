/**
 * Brute-force protection per account, kept in the accounts table so it holds across processes and
 * restarts. After LOGIN_DELAY_AFTER_FAILURES wrong attempts in a row, the next one is only weighed after
 * a growing delay (1 s, 2 s, 4 s … 60 s); at LOGIN_LOCKOUT_THRESHOLD the account locks for
 * LOGIN_LOCKOUT_MINUTES. A correct attempt resets the count.
 *
 * An attempt is *claimed* before any secret is checked: one conditional UPDATE counts it as a failure in
 * advance, and only the request whose UPDATE took may verify. Parallel requests (in one process or many)
 * therefore cannot all slip through an open gate. The API takes no password, so a wrong second-factor code
 * can be claimed and counted the same way.
 *
 * A second, coarser ceiling (LOGIN_ATTEMPTS_PER_ACCOUNT_PER_15_MINUTES) counts every attempt, including
 * those refused during a delay or lock, so that a distributed guesser cannot make an account spend
 * unbounded work; past it every attempt gets 429.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Account } from './account.js';
import { spend } from '../http/rate-limit.js';
import type { Services } from '../services.js';

export type Gate = { open: true } | { open: false; reason: 'locked' | 'too_soon'; until: number };
/** A claimed attempt: `locksUntil` is set when this attempt, if it fails, is the one that locked the account. */
export type Claim = { claimed: true; locksUntil?: number } | { claimed: false; reason: 'locked' | 'too_soon'; until: number };

type Counters = Pick<Account, 'failedLogins' | 'lastFailedAt' | 'lockedUntil'>;
interface Row { failed_logins: number | string; last_failed_at: number | string | null; locked_until: number | string | null }
const ms = (v: number | string | null) => (v === null ? null : Number(v));

/** Racing claims retry on a fresh read this many times; each retry means another attempt was counted. */
const CLAIM_RETRIES = 10;

export class Lockout {
  private readonly attemptsPerAccount: RateLimiterAbstract;

  constructor(private readonly s: Pick<Services, 'db' | 'clock' | 'config' | 'rateLimits'>) {
    this.attemptsPerAccount = s.rateLimits.limiter('login-account', s.config.loginAttemptsPerAccountPer15Minutes, 900);
  }

  /** Milliseconds an account must wait after its last failure before the next attempt counts. */
  delayAfter(failures: number): number {
    const over = failures - this.s.config.loginDelayAfterFailures;
    return over < 0 ? 0 : Math.min(60_000, 1000 * 2 ** over);
  }

  /** May an attempt for an account with these counters be weighed now? */
  gate(counters: Counters): Gate {
    const now = this.s.clock.now();
    if (counters.lockedUntil !== null && counters.lockedUntil > now) return { open: false, reason: 'locked', until: counters.lockedUntil };
    if (counters.lockedUntil === null && counters.lastFailedAt !== null) {
      const until = counters.lastFailedAt + this.delayAfter(counters.failedLogins);
      if (until > now) return { open: false, reason: 'too_soon', until };
    }
    return { open: true };
  }

  /**
   * Spends one of the account's attempts (throws Throttled past the ceiling). `key` is the account's id,
   * or for a login that matches no account the login itself, so that both run out alike.
   */
  async spendAttempt(key: string): Promise<void> {
    await spend(this.attemptsPerAccount, key);
  }

  /** Gives back the attempt of a sign-in that succeeded. */
  async refundAttempt(key: string): Promise<void> {
    await this.attemptsPerAccount.reward(key, 1);
  }

  /**
   * Claims the right to check one secret for the account, counting it as a failure in advance (a lock it
   * would cause is set now too). Compare-and-set on the counters as read, so of racing requests each
   * claim sees the count the previous one left.
   */
  async claim(account: Account): Promise<Claim> {
    const { db, clock, config } = this.s;
    let counters: Counters = account;
    for (let attempt = 0; attempt <= CLAIM_RETRIES; attempt++) {
      const gate = this.gate(counters);
      if (!gate.open) return { claimed: false, reason: gate.reason, until: gate.until };
      const now = clock.now();
      // A lock that has run out starts a fresh count.
      const failures = (counters.lockedUntil !== null ? 0 : counters.failedLogins) + 1;
      const locksUntil = failures >= config.loginLockoutThreshold ? now + config.loginLockoutMinutes * 60_000 : undefined;
      const query = db('accounts').where({ id: account.id, failed_logins: counters.failedLogins });
      for (const [column, value] of [['last_failed_at', counters.lastFailedAt], ['locked_until', counters.lockedUntil]] as const) {
        if (value === null) query.whereNull(column); else query.where(column, value);
      }
      const took = await query.update({ failed_logins: failures, last_failed_at: now, locked_until: locksUntil ?? null });
      if (took === 1) return { claimed: true, locksUntil };
      const row = (await db('accounts').where({ id: account.id }).first('failed_logins', 'last_failed_at', 'locked_until')) as Row | undefined;
      if (!row) return { claimed: false, reason: 'too_soon', until: now + 1000 };
      counters = { failedLogins: Number(row.failed_logins), lastFailedAt: ms(row.last_failed_at), lockedUntil: ms(row.locked_until) };
    }
    // Still contended after many counted attempts: a burst, not a person. Ask it to come back shortly.
    return { claimed: false, reason: 'too_soon', until: clock.now() + 1000 };
  }

  /** A claimed attempt proved the secret: the count (and a lock the claim set) goes. */
  async recordSuccess(account: Account): Promise<void> {
    await this.s.db('accounts').where({ id: account.id }).update({ failed_logins: 0, last_failed_at: null, locked_until: null });
  }

  /** Clears the count, any lock and the attempt ceiling (`porta users unlock`, a password reset). */
  async unlock(accountId: string): Promise<boolean> {
    const n = await this.s.db('accounts').where({ id: accountId }).update({ failed_logins: 0, last_failed_at: null, locked_until: null });
    await this.attemptsPerAccount.delete(accountId);
    return n === 1;
  }
}
