/**
 * The re-proof asked before every change to an account's second factors (personal area): the password
 * AND a current second factor again — a code from an app or a recovery code, or (passkeys) whatever
 * `secondFactor` verifies. One attempt under the sign-in's limits and lockout (Authenticator.checkSecret):
 * a wrong one counts like a wrong password (same delays, lock and lock mail). The password is verified
 * first, so a wrong password never spends a code. An account with no second factor yet proves the
 * password alone (its first set-up is confirmed by the mailed code instead). No HTTP in here.
 */
import type { Account } from '../accounts/account.js';
import type { Authenticator, AuthResult } from '../accounts/authenticate.js';
import type { Services } from '../services.js';
import { notifyMfaChange } from './notices.js';
import type { Verified } from './second-factors.js';

/** Verifies the second factor offered (spending it); called only after the password was right. */
export type SecondFactorProof = () => Promise<Verified>;

export type ReproofOutcome =
  | { ok: true; factor?: Extract<Verified, { ok: true }> }
  | { ok: false; result: AuthResult };

/** A typed code (TOTP or recovery code) as the second factor of a re-proof. */
export const codeProof = (s: Services, accountId: string, typed: string): SecondFactorProof => () => s.secondFactors.verifyCode(accountId, typed);

export async function reproveForChange(
  s: Services, auth: Authenticator, account: Account, ip: string,
  offered: { password: string; secondFactor: SecondFactorProof; change: string },
): Promise<ReproofOutcome> {
  const needsFactor = await s.secondFactors.has(account.id);
  let factor: Verified | undefined;
  const result = await auth.checkSecret(account, ip, async () => {
    if (!offered.password || !(await s.hasher.verify(account.passwordHash, offered.password)).ok) return false;
    if (!needsFactor) return true;
    factor = await offered.secondFactor();
    return factor.ok;
  });
  const actor = `account:${account.id}`;
  if (result.kind !== 'ok') {
    await s.audit.record({ action: 'mfa.reproof_failed', actor, accountId: account.id, ip, details: { change: offered.change, reason: result.kind } });
    return { ok: false, result };
  }
  const proved = factor?.ok ? factor : undefined;
  await s.audit.record({ action: 'mfa.reproved', actor, accountId: account.id, ip, details: { change: offered.change, via: proved?.via ?? 'password' } });
  if (proved?.via === 'recovery_code') notifyMfaChange(s, auth.issuer, account, { kind: 'code_used', left: proved.left });
  return { ok: true, factor: proved };
}
