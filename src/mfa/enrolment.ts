/**
 * Setting up the first (or another) authenticator app, no HTTP. A stolen password alone must not be
 * enough to plant a factor, so an enrolment is a flow of kind `mfa_enrolment`, tied to the place that
 * started it (`scope`: the sign-in interaction, or the personal-area session), that goes
 *
 *   mailed (a 6-digit code went to the account's verified address) → confirmed (the code was typed;
 *   a new TOTP secret waits, sealed) → enrolled (a first valid app code was typed: the method exists,
 *   recovery codes were shown once) → done.
 *
 * The caller proves the password first, and counts wrong codes toward the account's lockout.
 */
import { randomInt } from 'node:crypto';
import type { Account } from '../accounts/account.js';
import { AppError } from '../errors.js';
import type { Flow } from '../flows/flows.js';
import type { Services } from '../services.js';
import type { Method } from './second-factors.js';
import { matchingStep, newTotpSecret } from './totp.js';

const KIND = 'mfa_enrolment';
export type EnrolmentState = 'mailed' | 'confirmed' | 'enrolled';
export interface EnrolmentData extends Record<string, unknown> { scope: string; secret?: string }
export type Enrolment = Flow<EnrolmentData> & { state: EnrolmentState };

export const MAILED_CODE = /^\d{6}$/;

export class Enrolments {
  constructor(private readonly s: Services) {}

  /** The open enrolment started at `scope`, if any. */
  async current(accountId: string, scope: string): Promise<Enrolment | undefined> {
    const flow = await this.s.flows.findOpen<EnrolmentData>(accountId, KIND);
    return flow?.data.scope === scope ? flow as Enrolment : undefined;
  }

  /**
   * Starts (or restarts) an enrolment and returns the code to mail. Throws AppError `mfa.mail_limit`
   * (429) past TWO_FACTOR_ENROLMENT_MAILS_PER_ACCOUNT_PER_HOUR, `mfa.no_email` when there is no
   * verified address to send it to.
   */
  async start(account: Account, scope: string): Promise<{ code: string; flow: Enrolment }> {
    const { s } = this;
    if (!account.email || !account.emailVerified) throw new AppError('mfa.no_email', 409);
    const sent = await s.flows.countSince(account.id, KIND, s.clock.now() - 3600_000);
    if (sent >= s.config.twoFactorEnrolmentMailsPerAccountPerHour) throw new AppError('mfa.mail_limit', 429);
    const code = String(randomInt(1_000_000)).padStart(6, '0');
    const { flow } = await s.flows.start<EnrolmentData>({
      kind: KIND, accountId: account.id, state: 'mailed', token: code, data: { scope }, ttlMs: s.config.twoFactorEnrolmentCodeMinutes * 60_000,
    });
    return { code, flow: flow as Enrolment };
  }

  /** Is `typed` the mailed code? On success the flow moves on, holding a new (sealed) TOTP secret. */
  async confirmMail(flow: Enrolment, typed: string): Promise<boolean> {
    const code = typed.replace(/\s/g, '');
    if (flow.state !== 'mailed' || !MAILED_CODE.test(code) || !(await this.s.flows.tokenMatches(flow, code))) return false;
    await this.s.flows.update(flow, { state: 'confirmed', data: { ...flow.data, secret: this.s.secondFactors.sealSecret(newTotpSecret()) } });
    return true;
  }

  /** The secret waiting to be confirmed by the app's first code (base32). */
  secretOf(flow: Enrolment): string {
    return this.s.secondFactors.openSecret(String(flow.data.secret));
  }

  /**
   * Checks the app's first code; when it is valid, adds the method and (for a first method, or when
   * `newRecoveryCodes`) new recovery codes, returned to be shown once. undefined: the code was wrong.
   * Throws DuplicateMethodName (second-factors.ts).
   */
  async confirmApp(flow: Enrolment, name: string, typed: string, { newRecoveryCodes }: { newRecoveryCodes: boolean }): Promise<{ method: Method; recoveryCodes?: string[] } | undefined> {
    const { s } = this;
    if (flow.state !== 'confirmed' || !flow.accountId) return undefined;
    const secret = this.secretOf(flow);
    const step = matchingStep(secret, typed.replace(/\s/g, ''), s.clock.now());
    if (step === undefined) return undefined;
    const accountId = flow.accountId;
    return s.db.transaction(async (trx) => {
      const first = !(await s.secondFactors.has(accountId, trx));
      const method = await s.secondFactors.addTotp(accountId, name, secret, step, trx);
      const recoveryCodes = first || newRecoveryCodes ? await s.secondFactors.recoveryCodes.regenerate(accountId, trx) : undefined;
      await s.flows.update(flow, { state: 'enrolled', data: { scope: flow.data.scope } }, trx);
      return { method, recoveryCodes };
    });
  }

  /** Ends the enrolment (its last page was left); false when it had already ended. */
  finish(flow: Enrolment): Promise<boolean> {
    return this.s.flows.consume(flow, 'done');
  }
}

