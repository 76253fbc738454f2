/**
 * Checking a login name and password: the one place that decides what a sign-in attempt learns.
 * Every path costs one argon2 verification, so the answer's timing does not tell who has an account.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { inBackground } from '../flows/background.js';
import { Throttled } from '../http/rate-limit.js';
import { isLocale } from '../i18n/index.js';
import { lockoutMail } from '../mail/security.js';
import type { Services } from '../services.js';
import type { Account } from './account.js';
import { Lockout } from './lockout.js';

export type AuthResult =
  | { kind: 'ok'; account: Account }
  /** Unknown user, wrong password, or any state told only to whoever proved the password. */
  | { kind: 'invalid'; account?: Account }
  | { kind: 'locked'; account: Account; until: number };

export class Authenticator {
  readonly lockout: Lockout;
  private readonly failuresPerIp: RateLimiterAbstract;

  constructor(private readonly s: Services, private readonly issuer: string) {
    this.lockout = new Lockout(s.db, s.clock, s.config);
    this.failuresPerIp = s.rateLimits.limiter('login-fail-ip', s.config.loginFailuresPerIpPer15Minutes, 900);
  }

  async check(login: string, password: string, ip: string): Promise<AuthResult> {
    const { s } = this;
    // An address that has failed too often is turned away before any work is spent on it.
    const spent = await this.failuresPerIp.get(ip);
    if (spent && spent.consumedPoints >= this.s.config.loginFailuresPerIpPer15Minutes) throw new Throttled(Math.ceil(spent.msBeforeNext / 1000));

    const account = await s.accounts.findByLogin(login);
    const gate = account ? this.lockout.gate(account) : { open: true as const };
    const { ok, rehash } = await s.hasher.verify(account?.passwordHash, password);

    if (!account || !ok) {
      await this.failuresPerIp.penalty(ip);
      // Attempts during the delay are not counted, so a person retyping is not pushed into a lock.
      if (account && gate.open) await this.countFailure(account);
      return { kind: 'invalid', account };
    }
    if (!gate.open) return gate.reason === 'locked' ? { kind: 'locked', account, until: gate.until } : { kind: 'invalid', account };

    await this.lockout.recordSuccess(account);
    if (rehash) await s.accounts.setPasswordHash(account.id, await s.hasher.hash(password), { changed: false });
    return { kind: 'ok', account };
  }

  private async countFailure(account: Account): Promise<void> {
    const lockedUntil = await this.lockout.recordFailure(account);
    if (lockedUntil === undefined) return;
    const { s } = this;
    await s.audit.record({ action: 'account.locked', actor: 'system', accountId: account.id, details: { until: lockedUntil } });
    if (!account.email) return;
    inBackground(s, 'lockout notice', () => s.mailer.send(lockoutMail({
      locale: isLocale(account.locale) ? account.locale : s.config.defaultLocale, to: account.email!, givenName: account.givenName,
      failures: s.config.loginLockoutThreshold, until: lockedUntil, timeZone: s.config.timeZone, recoverUrl: `${this.issuer}/recover/password`,
    })));
  }
}
