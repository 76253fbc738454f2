/**
 * Checking a login name and password: the one place that decides what a sign-in attempt learns.
 * Every path costs one argon2 verification, so the answer's timing does not tell who has an account,
 * nor (for a delayed or locked account) whether the password was right: there the password is not
 * verified at all, and every attempt gets the same answer.
 *
 * Limits are spent before the hash, atomically: a point of the per-address failure budget, one of the
 * account's attempts, then the account's claim (see Lockout). A success gives the first two back, so
 * only failures count and a campus behind one NAT signing in is not slowed.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { inBackground } from '../flows/background.js';
import { spend } from '../http/rate-limit.js';
import { isLocale } from '../i18n/index.js';
import { lockoutMail } from '../mail/security.js';
import type { Services } from '../services.js';
import type { Account } from './account.js';
import { Lockout } from './lockout.js';

export type AuthResult =
  | { kind: 'ok'; account: Account }
  /** Unknown user, wrong password, or any state told only to whoever proved the password. */
  | { kind: 'invalid'; account?: Account }
  /** Told to every attempt alike, whatever its password: nothing was verified. */
  | { kind: 'locked' | 'too_soon'; account: Account; until: number };

export class Authenticator {
  readonly lockout: Lockout;
  private readonly failuresPerIp: RateLimiterAbstract;

  constructor(private readonly s: Services, readonly issuer: string) {
    this.lockout = new Lockout(s);
    this.failuresPerIp = s.rateLimits.limiter('login-fail-ip', s.config.loginFailuresPerIpPer15Minutes, 900);
  }

  /** Throws Throttled when the address's failure budget or the account's attempt ceiling is spent. */
  async check(login: string, password: string, ip: string): Promise<AuthResult> {
    const { s } = this;
    await spend(this.failuresPerIp, ip);
    const account = await s.accounts.findByLogin(login);
    const attemptKey = account ? account.id : `login:${login.normalize('NFKC').trim().toLowerCase()}`;
    await this.lockout.spendAttempt(attemptKey);

    // No account, or one without a password (federated): the same hash's cost and the same answer. An account
    // without a password collects no lockout counts (nobody can guess what is not there) and so never gets a
    // lock mail offering a reset it cannot use.
    if (!account?.passwordHash) {
      await s.hasher.verify(undefined, password);
      return { kind: 'invalid' };
    }
    let rehash = false;
    const result = await this.guarded(account, ip, async () => {
      const verified = await s.hasher.verify(account.passwordHash, password);
      rehash = verified.rehash;
      return verified.ok;
    }, () => s.hasher.burn(password));
    if (result.kind === 'ok' && rehash) await s.accounts.setPasswordHash(account.id, await s.hasher.hash(password), { changed: false });
    return result;
  }

  /**
   * Checks a second-factor code (or a password typed again) for a known account under the same limits
   * and lockout as a sign-in: wrong ones count toward the same delays, lock and lock mail. Throws
   * Throttled past the address's or the account's budget.
   */
  async checkSecret(account: Account, ip: string, verify: () => Promise<boolean>): Promise<AuthResult> {
    await spend(this.failuresPerIp, ip);
    await this.lockout.spendAttempt(account.id);
    return this.guarded(account, ip, verify);
  }

  /** Claims the attempt, verifies, and settles the counters; `whenRefused` runs when the gate is closed. */
  private async guarded(account: Account, ip: string, verify: () => Promise<boolean>, whenRefused?: () => Promise<void>): Promise<AuthResult> {
    const claim = await this.lockout.claim(account);
    if (!claim.claimed) {
      await whenRefused?.();
      return { kind: claim.reason, account, until: claim.until };
    }
    if (!(await verify())) {
      if (claim.locksUntil !== undefined) await this.announceLock(account, claim.locksUntil);
      return { kind: 'invalid', account };
    }
    await this.lockout.recordSuccess(account);
    await this.failuresPerIp.reward(ip, 1);
    await this.lockout.refundAttempt(account.id);
    return { kind: 'ok', account };
  }

  private async announceLock(account: Account, until: number): Promise<void> {
    const { s } = this;
    await s.audit.record({ action: 'account.locked', actor: 'system', accountId: account.id, details: { until } });
    if (!account.email) return;
    inBackground(s, 'lockout notice', () => s.mailer.send(lockoutMail({
      locale: isLocale(account.locale) ? account.locale : s.config.defaultLocale, to: account.email!, givenName: account.givenName,
      failures: s.config.loginLockoutThreshold, until, timeZone: s.config.timeZone, recoverUrl: `${this.issuer}/recover/password`,
    })));
  }
}
