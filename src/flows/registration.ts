/**
 * Self-registration, no HTTP in here. Two modes (REGISTRATION_MODE):
 * - choose-credentials: the person picks username and password; a link proves the address.
 * - assigned-code: Porta assigns the person code (the login name); the link sets the password.
 * Either way: a pending account and a single-use link valid ACTIVATION_TTL_HOURS.
 * An address already in use is never revealed: the requester sees the same answer, the holder gets a mail.
 * What costs (a password hash, an account, a mail) is counted per client IP; typing mistakes are not.
 */
import { randomInt } from 'node:crypto';
import { emailKey, type Account } from '../accounts/account.js';
import { generatePersonCode } from '../accounts/person-code.js';
import { AppError } from '../errors.js';
import { isLocale, type Locale, type MessageKey } from '../i18n/index.js';
import { activationMail, registrationAttemptMail } from '../mail/registration.js';
import type { Services } from '../services.js';
import { spend } from '../http/rate-limit.js';
import { DuplicateError } from '../storage/accounts.js';
import type { Db } from '../storage/db.js';
import { assertUsable, type Flow, type FlowKind } from './flows.js';
import { sendInBackground } from './background.js';

export interface RegistrationInput {
  username?: string;
  password?: string;
  givenName: string;
  familyName: string;
  birthdate: string;
  phone: string;
  email: string;
  locale: Locale;
  /** The authorization request the person came from, to lead back into it after activation. */
  interactionUid?: string;
}

export type Identification = { username: string; password: string } | { personCode: string; birthdate: string };

interface RegistrationFlowData extends Record<string, unknown> { interactionUid?: string }

/** A field problem to show next to the field (the username is public enough to say it is taken). */
export class FieldErrors extends Error {
  constructor(readonly errors: Record<string, MessageKey>) {
    super('invalid fields');
  }
}


export class Registration {
  /** Registrations and resends per client IP: each costs a password hash and usually a mail. */
  private readonly perIp;

  constructor(private readonly s: Services, private readonly issuer: string) {
    this.perIp = s.rateLimits.limiter('register-ip', s.config.registrationsPerIpPerHour, 3600);
  }

  get mode() { return this.s.config.registrationMode; }
  get flowKind(): FlowKind { return this.mode === 'assigned-code' ? 'set_password' : 'activation'; }
  private get ttlMs() { return this.s.config.activationTtlHours * 3600_000; }

  /**
   * Creates the pending account and mails the link. Returns the person code to show (in assigned-code
   * mode the page tells it; when the address was already taken it is a code that belongs to nobody, so
   * the answer looks the same).
   */
  async register(input: RegistrationInput, ip: string): Promise<{ personCode: string }> {
    const { s } = this;
    // The username first, whoever holds the address: "taken" must not depend on whether the address is
    // free (that would tell which addresses have accounts).
    if (input.username && await s.accounts.findByLogin(input.username)) throw new FieldErrors({ username: 'username.taken' });
    await spend(this.perIp, ip);
    const passwordHash = input.password ? await s.hasher.hash(input.password) : undefined;
    const holder = await s.accounts.findByEmail(input.email);
    if (holder) {
      await this.notifyHolder(holder, ip);
      return { personCode: generatePersonCode() };
    }
    let created: { account: Account; token: string };
    try {
      // Account, audit event and link together or not at all; the mail only after the commit.
      created = await s.db.transaction(async (trx) => {
        const account = await s.accounts.create({
          username: input.username ?? null, passwordHash: passwordHash ?? null, givenName: input.givenName, familyName: input.familyName,
          birthdate: input.birthdate, phone: input.phone, email: input.email, emailVerified: false,
          userType: 'external', status: 'pending', locale: input.locale,
        }, trx);
        await s.audit.record({ action: 'registration.created', actor: `account:${account.id}`, accountId: account.id, ip, details: { mode: this.mode } }, trx);
        return { account, token: await this.startLink(account, { interactionUid: input.interactionUid }, trx) };
      });
    } catch (err) {
      if (err instanceof DuplicateError && err.field === 'username') throw new FieldErrors({ username: 'username.taken' });
      if (err instanceof DuplicateError) {
        // Registered a moment ago by a concurrent request: the same answer as above.
        return { personCode: generatePersonCode() };
      }
      throw err;
    }
    this.mailLink(created.account, created.token);
    return { personCode: created.account.personCode };
  }

  /** Someone registered with a taken address. A pending holder gets its link again; an active one a notice. */
  private async notifyHolder(holder: Account, ip: string): Promise<void> {
    const { s } = this;
    await s.audit.record({ action: 'registration.address_in_use', actor: 'anonymous', accountId: holder.id, ip });
    if (holder.status === 'pending' && await this.underResendLimit(holder)) {
      this.mailLink(holder, await this.startLink(holder, {}));
      return;
    }
    const locale = isLocale(holder.locale) ? holder.locale : s.config.defaultLocale;
    sendInBackground(s, registrationAttemptMail({
      locale, to: holder.email!, givenName: holder.givenName, signInUrl: `${this.issuer}/`,
      recoverPasswordUrl: `${this.issuer}/recover/password`, recoverUsernameUrl: `${this.issuer}/recover/username`,
    }), 'registration attempt notice');
  }

  private async underResendLimit(account: Account): Promise<boolean> {
    const sent = await this.s.flows.countSince(account.id, this.flowKind, this.s.clock.now() - 3600_000);
    return sent < this.s.config.activationResendPerHour;
  }

  /** Starts a new flow (the old link stops working); returns its token, to mail after the commit. */
  private async startLink(account: Account, data: RegistrationFlowData, trx: Db = this.s.db): Promise<string> {
    const { token } = await this.s.flows.start({ kind: this.flowKind, accountId: account.id, ttlMs: this.ttlMs, data }, trx);
    return token;
  }

  private mailLink(account: Account, token: string): void {
    const { s } = this;
    const locale = isLocale(account.locale) ? account.locale : s.config.defaultLocale;
    sendInBackground(s, activationMail({
      locale, to: account.email!, givenName: account.givenName, personCode: account.personCode,
      link: `${this.issuer}/activate?token=${token}`, ttlHours: s.config.activationTtlHours, mode: this.mode,
    }), 'activation');
  }

  /** The flow behind a link, checked: usable, and its account still pending. */
  async openLink(token: unknown): Promise<{ flow: Flow<RegistrationFlowData>; account: Account }> {
    const flow = await this.s.flows.findByToken<RegistrationFlowData>(this.flowKind, token);
    assertUsable(flow, this.s.clock.now());
    const account = flow.accountId ? await this.s.accounts.findById(flow.accountId) : undefined;
    // The registration was deleted (its window closed): the person must register again.
    if (!account) throw new AppError('flow.expired', 410);
    if (account.status !== 'pending') throw new AppError('flow.used', 410);
    return { flow, account };
  }

  /** Follows the link: proves the address and activates (choose-credentials mode). */
  async activate(token: unknown, ip: string): Promise<{ account: Account; interactionUid?: string }> {
    const { flow, account } = await this.openLink(token);
    return this.complete(flow, account, ip);
  }

  /** Follows the link with the new password (assigned-code mode). */
  async setPassword(token: unknown, password: string, ip: string): Promise<{ account: Account; interactionUid?: string }> {
    const { flow, account } = await this.openLink(token);
    const hash = await this.s.hasher.hash(password);
    return this.s.db.transaction(async (trx) => {
      const done = await this.complete(flow, account, ip, trx);
      await this.s.accounts.setPasswordHash(account.id, hash, { changed: true }, trx);
      return done;
    });
  }

  private async complete(flow: Flow<RegistrationFlowData>, account: Account, ip: string, trx = this.s.db) {
    // Atomic: of two clicks racing, one activates and the other is told the link was used.
    if (!(await this.s.flows.consume(flow, 'done', trx))) throw new AppError('flow.used', 410);
    await this.s.accounts.activate(account.id, trx);
    await this.s.audit.record({ action: 'registration.activated', actor: `account:${account.id}`, accountId: account.id, ip }, trx);
    return { account: (await this.s.accounts.findById(account.id, trx))!, interactionUid: flow.data.interactionUid };
  }

  /**
   * "Didn't get the email?": with proof of the registration, sends a new link. Username + password may
   * also correct the address; person code + date of birth are facts others can know, so that proof only
   * resends to the address on file (corrections go through the helpdesk). The caller answers the same
   * whether or not anything matched; only a proved person learns about the per-hour limit.
   */
  async resend(who: Identification, newEmail: string | undefined, ip: string, interactionUid?: string): Promise<'sent' | 'limited' | 'no_match'> {
    const { s } = this;
    await spend(this.perIp, ip);
    const account = await this.identify(who);
    if (!account) return 'no_match';
    if (!(await this.underResendLimit(account))) return 'limited';
    if ('username' in who && newEmail && emailKey(newEmail) !== emailKey(account.email ?? '')) {
      const holder = await s.accounts.findByEmail(newEmail);
      if (holder) {
        await this.notifyHolder(holder, ip);
        return 'sent';
      }
      try {
        await s.accounts.setEmail(account.id, newEmail, { verified: false });
      } catch (err) {
        if (err instanceof DuplicateError) return 'sent';
        throw err;
      }
      await s.audit.record({ action: 'registration.email_corrected', actor: `account:${account.id}`, accountId: account.id, ip });
    }
    const token = await s.db.transaction(async (trx) => {
      await s.audit.record({ action: 'registration.resent', actor: `account:${account.id}`, accountId: account.id, ip }, trx);
      return this.startLink(account, { interactionUid }, trx);
    });
    this.mailLink((await s.accounts.findById(account.id))!, token);
    return 'sent';
  }

  /** A pending account matching the proof; unknown logins still cost one hash. */
  private async identify(who: Identification): Promise<Account | undefined> {
    const { s } = this;
    if ('username' in who) {
      const account = await s.accounts.findByLogin(who.username);
      const { ok } = await s.hasher.verify(account?.passwordHash, who.password);
      return ok && account?.status === 'pending' ? account : undefined;
    }
    const account = await s.accounts.findByLogin(who.personCode);
    // Equal work either way: the date check is a plain comparison; burn a hash as the other mode does.
    await s.hasher.burn(`${who.personCode}${randomInt(1e9)}`);
    return account?.status === 'pending' && account.birthdate === who.birthdate ? account : undefined;
  }

  /** Deletes registrations never activated within their window, and old flows. */
  async sweep(): Promise<number> {
    const deleted = await this.s.accounts.deleteExpiredPending(this.s.clock.now() - this.ttlMs);
    // Ended flows are kept a month so an old link still says "expired, register again".
    await this.s.flows.sweep(30 * 86400_000);
    return deleted;
  }
}
