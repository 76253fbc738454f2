/**
 * Setting a new password, whatever the way in (personal area, expired password, reminder, reset link):
 * the registration policy, "not the current one", the hash, the sessions and tokens that must end, the
 * audit event and the notice mail. No HTTP in here.
 */
import type { Account } from '../accounts/account.js';
import { passwordProblems } from '../accounts/password-policy.js';
import { formatDateTime } from '../i18n/format.js';
import type { Locale, MessageKey } from '../i18n/index.js';
import { loginName, mailLocale, passwordChangedMail } from '../mail/account.js';
import type { Services } from '../services.js';
import type { Db } from '../storage/db.js';
import { revokeAccountData } from '../storage/sessions.js';
import { sendInBackground } from './background.js';

export type PasswordField = 'current' | 'password' | 'password_confirm';
export type PasswordErrors = Partial<Record<PasswordField, MessageKey>>;

/** Why the password changed: becomes the audit event and decides what is revoked. */
export type ChangeReason = 'account' | 'expired' | 'expiring' | 'reset';

export interface ChangeContext {
  ip: string;
  clientId?: string;
  /** The language of the page, for the notice when the account has none. */
  locale: Locale;
  reason: ChangeReason;
  /** What survives: the session in use and the sign-in step in progress (nothing, for a reset). */
  keep?: { sessionId?: string; interactionId?: string };
}

/**
 * The new password against the registration policy and its confirmation (undefined: too long for the
 * form field). The first broken rule per field, each with its own message; an empty confirmation is
 * always flagged, whatever the password. Every form that sets a password (registration too) asks here.
 */
export function newPasswordErrors(account: { username?: string | null; email?: string | null }, password: string | undefined, confirm: string | undefined): PasswordErrors {
  const errors: PasswordErrors = {};
  if (password === undefined) errors.password = 'password.too_long';
  else if (!password) errors.password = 'field.required';
  else {
    const [problem] = passwordProblems(password, { username: account.username, email: account.email });
    if (problem) errors.password = problem;
  }
  if (!confirm) errors.password_confirm = 'field.required';
  else if (!errors.password && password !== confirm) errors.password_confirm = 'password.mismatch';
  return errors;
}

export class PasswordChanges {
  constructor(private readonly s: Services, private readonly issuer: string) {}

  /** True when `password` is the account's current one (one argon2 verification). */
  async isCurrent(account: Account, password: string): Promise<boolean> {
    return (await this.s.hasher.verify(account.passwordHash, password)).ok;
  }

  /**
   * Stores the new hash and ends what must end, in the caller's transaction: every session, grant and token
   * but `keep`, any open reset link (it went to a mailbox that may not be the person's) and a pending email
   * change (an intruder's, perhaps).
   */
  async store(account: Account, hash: string, keep: ChangeContext['keep'], trx: Db): Promise<number> {
    await this.s.accounts.setPasswordHash(account.id, hash, { changed: true }, trx);
    await this.s.flows.endPending(account.id, trx);
    return revokeAccountData(trx, account.id, this.s.clock.now(), keep ?? {});
  }

  /** The audit event and the notice to the account's address. */
  async after(account: Account, ctx: ChangeContext, revoked: number): Promise<void> {
    const { s } = this;
    await s.audit.record({
      action: ctx.reason === 'reset' ? 'password_reset.completed' : 'password.changed',
      actor: `account:${account.id}`, accountId: account.id, clientId: ctx.clientId ?? null, ip: ctx.ip,
      details: { reason: ctx.reason, revoked },
    });
    if (!account.email) return;
    const locale = mailLocale(account, ctx.locale);
    sendInBackground(s, passwordChangedMail({
      locale, to: account.email, givenName: account.givenName, login: loginName(account),
      date: formatDateTime(locale, s.clock.now(), s.config.timeZone), everywhere: !ctx.keep?.sessionId,
      recoverUrl: `${this.issuer}/recover/password`,
    }), 'password changed notice');
  }

  /** Hashes, stores, revokes, records and notifies. The caller has checked the policy and the current password. */
  async change(account: Account, password: string, ctx: ChangeContext): Promise<void> {
    const hash = await this.s.hasher.hash(password);
    const revoked = await this.s.db.transaction((trx) => this.store(account, hash, ctx.keep, trx));
    await this.after(account, ctx, revoked);
  }
}
