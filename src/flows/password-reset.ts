/**
 * Forgot password, no HTTP in here. The request answers the same whether or not an account matched: the
 * link is made and mailed in the background, and an unknown account costs the same up to the answer.
 * The link (PASSWORD_RESET_TTL_MINUTES, single use) leads to a new password (and the date of birth when
 * PASSWORD_RESET_REQUIRES_BIRTHDATE); completing it ends every session, grant and token of the account.
 */
import type { Account } from '../accounts/account.js';
import { Lockout } from '../accounts/lockout.js';
import { checkBirthdate, type DateParts } from '../accounts/validation.js';
import { AppError } from '../errors.js';
import type { Locale, MessageKey } from '../i18n/index.js';
import { loginName, mailLocale, resetFederatedMail, resetMail } from '../mail/account.js';
import type { Services } from '../services.js';
import { inBackground } from './background.js';
import { assertUsable, type Flow } from './flows.js';
import { newPasswordErrors, PasswordChanges, type PasswordErrors } from './password-change.js';
import { RecoveryMailLimit } from './recovery-mail-limit.js';

/** Wrong dates of birth a link survives; then it stops working. */
export const BIRTHDATE_ATTEMPTS = 5;

interface ResetData extends Record<string, unknown> {
  /** The sign-in the person came from, to lead back into it. */
  interactionUid?: string;
  birthdateAttempts?: number;
}

export type ResetErrors = PasswordErrors & { birthdate?: MessageKey };
export type ResetOutcome =
  | { ok: true; account: Account; interactionUid?: string }
  | { ok: false; errors: ResetErrors; account: Account };

export class PasswordReset {
  private readonly changes: PasswordChanges;
  private readonly mailLimit: RecoveryMailLimit;

  constructor(private readonly s: Services, private readonly issuer: string) {
    this.changes = new PasswordChanges(s, issuer);
    this.mailLimit = new RecoveryMailLimit(s);
  }

  get ttlMinutes() { return this.s.config.passwordResetTtlMinutes; }
  get requiresBirthdate() { return this.s.config.passwordResetRequiresBirthdate; }

  /** A username, person code or email address. Resolves identically whether or not it matched. */
  async request(identifier: string, o: { ip: string; locale: Locale; interactionUid?: string }): Promise<void> {
    const { s } = this;
    const account = identifier.includes('@') ? await s.accounts.findByEmail(identifier) : await s.accounts.findByLogin(identifier);
    const usable = account?.status === 'active' && account.email ? account : undefined;
    await s.audit.record({ action: 'password_reset.requested', actor: 'anonymous', accountId: account?.id ?? null, ip: o.ip, details: { matched: Boolean(usable) } });
    if (usable) inBackground(s, 'password reset mail', () => this.send(usable, o));
  }

  private async send(account: Account, o: { ip: string; locale: Locale; interactionUid?: string }): Promise<void> {
    const { s } = this;
    if (!(await this.mailLimit.take(account.id))) {
      await s.audit.record({ action: 'password_reset.mail_limited', actor: 'system', accountId: account.id, ip: o.ip });
      return;
    }
    const locale = mailLocale(account, o.locale);
    if (account.userType === 'federated') {
      await s.mailer.send(resetFederatedMail({ locale, to: account.email!, givenName: account.givenName }));
      return;
    }
    const { token } = await s.flows.start<ResetData>({
      kind: 'password_reset', accountId: account.id, ttlMs: this.ttlMinutes * 60_000, data: { interactionUid: o.interactionUid },
    });
    await s.mailer.send(resetMail({
      locale, to: account.email!, givenName: account.givenName, login: loginName(account),
      link: `${this.issuer}/recover/password/reset?token=${token}`, minutes: this.ttlMinutes,
    }));
    await s.audit.record({ action: 'password_reset.mailed', actor: 'system', accountId: account.id, ip: o.ip });
  }

  /** The flow behind a link: usable (AppError flow.invalid / flow.used / flow.expired otherwise) and its account active. */
  async open(token: unknown): Promise<{ flow: Flow<ResetData>; account: Account }> {
    const flow = await this.s.flows.findByToken<ResetData>('password_reset', token);
    assertUsable(flow, this.s.clock.now());
    const account = flow.accountId ? await this.s.accounts.findById(flow.accountId) : undefined;
    if (!account || account.status !== 'active') throw new AppError('flow.invalid', 404);
    return { flow, account };
  }

  /**
   * Sets the new password from the link. Field problems come back to show next to the fields (the link
   * stays usable); too many wrong dates of birth end the link (AppError reset.locked, 410).
   */
  async complete(token: unknown, input: { password?: string; confirm?: string; birthdate?: DateParts }, o: { ip: string; locale: Locale }): Promise<ResetOutcome> {
    const { s } = this;
    const { flow, account } = await this.open(token);
    const errors: ResetErrors = {};
    if (this.requiresBirthdate) {
      const given = checkBirthdate(input.birthdate ?? { day: '', month: '', year: '' }, 0, s.clock.now());
      if (given.error) errors.birthdate = given.error;
      else if (given.value !== account.birthdate) {
        const attempts = (flow.data.birthdateAttempts ?? 0) + 1;
        await s.audit.record({ action: 'password_reset.birthdate_wrong', actor: `account:${account.id}`, accountId: account.id, ip: o.ip, details: { attempts } });
        if (attempts >= BIRTHDATE_ATTEMPTS) {
          await s.flows.consume(flow, 'locked');
          throw new AppError('reset.locked', 410);
        }
        await s.flows.update(flow, { data: { ...flow.data, birthdateAttempts: attempts } });
        errors.birthdate = 'reset.birthdate_wrong';
      }
    }
    Object.assign(errors, newPasswordErrors(account, input.password, input.confirm));
    if (!Object.keys(errors).length && await this.changes.isCurrent(account, input.password!)) errors.password = 'newpw.same';
    if (Object.keys(errors).length) return { ok: false, errors, account };

    const hash = await s.hasher.hash(input.password!);
    const revoked = await s.db.transaction(async (trx) => {
      // Atomic: of two submissions racing, one sets the password and the other is told the link was used.
      if (!(await s.flows.consume(flow, 'done', trx))) throw new AppError('flow.used', 410);
      return this.changes.store(account, hash, {}, trx);
    });
    // Proving the mailbox ends a brute-force lock too (the lock notice points here).
    await new Lockout(s).unlock(account.id);
    await this.changes.after(account, { ip: o.ip, locale: o.locale, reason: 'reset' }, revoked);
    return { ok: true, account, interactionUid: flow.data.interactionUid };
  }
}
