/**
 * Changing the email address, no HTTP in here. Only the signed-in holder, after re-entering the password,
 * can ask. Nothing changes until the link sent to the new address (EMAIL_CHANGE_TTL_HOURS, single use) is
 * followed. The old address is told at once, with a link that stops the change — or undoes it when it was
 * already confirmed — and signs out every session (EMAIL_CHANGE_REPORT_TTL_DAYS).
 *
 * An address already in use is never revealed: the requester sees the same answer, the flow is created
 * the same way, and the address's holder gets a notice instead of a link.
 */
import { emailKey, type Account } from '../accounts/account.js';
import { checkEmail } from '../accounts/validation.js';
import { AppError } from '../errors.js';
import type { Locale, MessageKey } from '../i18n/index.js';
import { emailChangeNoticeMail, emailConfirmMail, emailInUseMail, loginName, mailLocale } from '../mail/account.js';
import type { Services } from '../services.js';
import { isUniqueViolation, type Db } from '../storage/db.js';
import { revokeAccountData } from '../storage/sessions.js';
import { sendInBackground } from './background.js';
import { assertUsable, type Flow } from './flows.js';

/** The change itself: kind email_change, state `pending`, bound to the account; its token goes to the new address. */
interface ChangeData extends Record<string, unknown> { newEmail: string; oldEmail: string | null }
/** The old address's "it wasn't me" link: kind email_change, state `report`, bound to no account (so a new request does not supersede it). */
interface ReportData extends Record<string, unknown> { accountId: string; changeFlowId: string; newEmail: string; oldEmail: string }

export type EmailChangeErrors = Partial<Record<'email' | 'password', MessageKey>>;
export type RequestOutcome = { ok: true; newEmail: string } | { ok: false; errors: EmailChangeErrors };
export type ReportOutcome = { restored: 'not_needed' | 'restored' | 'taken'; oldEmail: string };

const isReport = (flow: Flow<unknown>): flow is Flow<ReportData> => typeof (flow.data as Partial<ReportData>).changeFlowId === 'string';

/** Sets a confirmed address; false when another account holds it now. */
async function setConfirmedEmail(trx: Db, accountId: string, email: string): Promise<boolean> {
  try {
    // In a savepoint, so a refused update leaves the surrounding transaction usable (PostgreSQL aborts it otherwise).
    await trx.transaction((sp) => sp('accounts').where({ id: accountId }).update({ email, email_key: emailKey(email), email_verified: true }));
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

export class EmailChange {
  constructor(private readonly s: Services, private readonly issuer: string) {}

  get ttlHours() { return this.s.config.emailChangeTtlHours; }
  get reportTtlDays() { return this.s.config.emailChangeReportTtlDays; }

  /** The change waiting for its confirmation, if any. */
  async pending(accountId: string): Promise<Flow<ChangeData> | undefined> {
    const flow = await this.s.flows.findOpen<ChangeData>(accountId, 'email_change');
    return flow?.state === 'pending' ? flow : undefined;
  }

  /**
   * Checks the address and the password, then starts the change. The outcome and the work done are the
   * same whether or not the address is in use; only the mail differs, and it goes out in the background.
   */
  async request(account: Account, input: { email: string | undefined; password: string | undefined }, o: { ip: string; locale: Locale }): Promise<RequestOutcome> {
    const { s } = this;
    const errors: EmailChangeErrors = {};
    const checked = input.email === undefined ? { error: 'field.too_long' as const } : checkEmail(input.email);
    // The password is checked in every case (one argon2 verification), so a wrong address costs the same.
    const { ok } = await s.hasher.verify(account.passwordHash, input.password ?? '');
    if (checked.error) errors.email = checked.error;
    else if (account.email && emailKey(checked.value) === emailKey(account.email)) errors.email = 'account.email.same';
    if (!input.password) errors.password = 'field.required';
    else if (!ok) errors.password = 'newpw.current_wrong';
    if (!ok && input.password) {
      await s.audit.record({ action: 'email_change.password_wrong', actor: `account:${account.id}`, accountId: account.id, ip: o.ip });
    }
    if (errors.email || errors.password) return { ok: false, errors };

    const newEmail = checked.value!;
    const holder = await s.accounts.findByEmail(newEmail);
    const { change, token, reportToken } = await s.db.transaction(async (trx) => {
      const started = await s.flows.start<ChangeData>({
        kind: 'email_change', state: 'pending', accountId: account.id, ttlMs: this.ttlHours * 3600_000,
        data: { newEmail, oldEmail: account.email },
      }, trx);
      // Stops the reports of earlier requests from acting on this one: each report names its own change.
      const report = account.email ? await s.flows.start<ReportData>({
        kind: 'email_change', state: 'report', accountId: null, ttlMs: this.reportTtlDays * 86400_000,
        data: { accountId: account.id, changeFlowId: started.flow.id, newEmail, oldEmail: account.email },
      }, trx) : undefined;
      return { change: started.flow, token: started.token, reportToken: report?.token };
    });
    await s.audit.record({ action: 'email_change.requested', actor: `account:${account.id}`, accountId: account.id, ip: o.ip, details: { flow: change.id, addressInUse: Boolean(holder) } });

    const locale = mailLocale(account, o.locale);
    if (holder) {
      sendInBackground(s, emailInUseMail({
        locale: mailLocale(holder, locale), to: newEmail, givenName: holder.givenName,
        recoverUsernameUrl: `${this.issuer}/recover/username`, recoverPasswordUrl: `${this.issuer}/recover/password`,
      }), 'email change: address in use notice');
    } else {
      sendInBackground(s, emailConfirmMail({
        locale, to: newEmail, givenName: account.givenName, login: loginName(account),
        link: `${this.issuer}/account/email/confirm?token=${token}`, hours: this.ttlHours,
      }), 'email change: confirmation link');
    }
    if (account.email && reportToken) {
      sendInBackground(s, emailChangeNoticeMail({
        locale, to: account.email, givenName: account.givenName, login: loginName(account), newEmail,
        reportLink: `${this.issuer}/account/email/report?token=${reportToken}`, days: this.reportTtlDays,
      }), 'email change: notice to the old address');
    }
    return { ok: true, newEmail };
  }

  /** The change behind a confirmation link (AppError flow.invalid / flow.used / flow.expired otherwise). */
  async openConfirm(token: unknown): Promise<{ flow: Flow<ChangeData>; account: Account }> {
    const flow = await this.s.flows.findByToken<ChangeData>('email_change', token);
    // A report link is not a confirmation link.
    if (flow && isReport(flow)) throw new AppError('flow.invalid', 404);
    assertUsable(flow, this.s.clock.now());
    const account = flow.accountId ? await this.s.accounts.findById(flow.accountId) : undefined;
    if (!account || account.status !== 'active') throw new AppError('flow.invalid', 404);
    return { flow, account };
  }

  /** Follows the confirmation link: the new address becomes the account's, confirmed. */
  async confirm(token: unknown, o: { ip: string }): Promise<{ account: Account; newEmail: string }> {
    const { s } = this;
    const { flow, account } = await this.openConfirm(token);
    const newEmail = flow.data.newEmail;
    await s.db.transaction(async (trx) => {
      if (!(await s.flows.consume(flow, 'done', trx))) throw new AppError('flow.used', 410);
      // Taken since the request (by a registration, say): nothing changes, and the link is spent.
      if (!(await setConfirmedEmail(trx, account.id, newEmail))) throw new AppError('account.email.taken', 409);
      // Reset links went to the old address.
      await s.flows.supersede(account.id, 'password_reset', trx);
    }).catch(async (err: unknown) => {
      if (err instanceof AppError && err.code === 'account.email.taken') await s.flows.consume(flow, 'address_taken');
      throw err;
    });
    await s.audit.record({ action: 'email_change.confirmed', actor: `account:${account.id}`, accountId: account.id, ip: o.ip, details: { flow: flow.id } });
    return { account: (await s.accounts.findById(account.id))!, newEmail };
  }

  /** The report behind an "it wasn't me" link (AppError flow.invalid / flow.used / flow.expired otherwise). */
  async openReport(token: unknown): Promise<Flow<ReportData>> {
    const flow = await this.s.flows.findByToken<ReportData>('email_change', token);
    if (flow && !isReport(flow)) throw new AppError('flow.invalid', 404);
    assertUsable(flow, this.s.clock.now());
    return flow;
  }

  /**
   * "It wasn't me": stops the change if it is still pending, or gives the old address back if it was
   * confirmed (unless another account took it since); either way every session, grant and token ends.
   */
  async report(token: unknown, o: { ip: string }): Promise<ReportOutcome> {
    const { s } = this;
    const flow = await this.openReport(token);
    const { accountId, changeFlowId, newEmail, oldEmail } = flow.data;
    const outcome = await s.db.transaction(async (trx): Promise<ReportOutcome> => {
      if (!(await s.flows.consume(flow, 'reported', trx))) throw new AppError('flow.used', 410);
      const stopped = await trx('flows').where({ id: changeFlowId }).whereNull('consumed_at').update({ consumed_at: s.clock.now(), state: 'reported' });
      const account = await s.accounts.findById(accountId, trx);
      let restored: ReportOutcome['restored'] = 'not_needed';
      if (!stopped && account?.email && emailKey(account.email) === emailKey(newEmail)) {
        restored = (await setConfirmedEmail(trx, accountId, oldEmail)) ? 'restored' : 'taken';
      }
      await revokeAccountData(trx, accountId, s.clock.now());
      // Other pending changes (a second request by the intruder) and reset links end too.
      await s.flows.endPending(accountId, trx);
      return { restored, oldEmail };
    });
    await s.audit.record({ action: 'email_change.reported', actor: 'anonymous', accountId, ip: o.ip, details: { flow: changeFlowId, restored: outcome.restored } });
    return outcome;
  }
}
