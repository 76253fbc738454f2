/**
 * Password expiry: a password expires PASSWORD_MAX_AGE_DAYS after it was set. A prompt right after login:
 * - `password_expired`: the password has expired → the person must choose a new one before any service
 *   gets a code. It runs on every authorization, so a session that outlives the password is stopped too.
 * - `password_expiring`: within PASSWORD_EXPIRY_WARNING_DAYS, right after a password sign-in, a reminder
 *   with "change now" and "continue" (shown once per sign-in, never on SSO).
 * Accounts without a password (federated) are exempt. Its pages: interactions/password-expiry.ts.
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../../config/schema.js';
import type { Account } from '../accounts/account.js';
import type { Services } from '../services.js';
import type { PolicyRule } from './index.js';
import { passwordTypedNow } from './second-factor.js';

export const PASSWORD_EXPIRY_PROMPT = 'password_expiry';
const DAY_MS = 86400_000;

type ExpiryConfig = Pick<Config, 'passwordMaxAgeDays' | 'passwordExpiryWarningDays'>;

/** When the account's password expires; undefined when it never does (no password, federated, or expiry off). */
export function passwordExpiresAt(account: Account, config: ExpiryConfig): number | undefined {
  if (!config.passwordMaxAgeDays || !account.passwordHash || account.userType === 'federated') return undefined;
  return (account.passwordChangedAt ?? account.createdAt) + config.passwordMaxAgeDays * DAY_MS;
}

export type ExpiryState = 'valid' | 'expiring' | 'expired';

export function passwordExpiryState(account: Account, config: ExpiryConfig, now: number): ExpiryState {
  const expiresAt = passwordExpiresAt(account, config);
  if (expiresAt === undefined) return 'valid';
  if (now >= expiresAt) return 'expired';
  if (config.passwordExpiryWarningDays && now >= expiresAt - config.passwordExpiryWarningDays * DAY_MS) return 'expiring';
  return 'valid';
}

export const passwordExpiryRule: PolicyRule = {
  apply(policy, s: Services) {
    // Both checks run in parallel on the same request: read the account once.
    const states = new WeakMap<KoaContextWithOIDC, Promise<ExpiryState>>();
    const state = (ctx: KoaContextWithOIDC): Promise<ExpiryState> => {
      let known = states.get(ctx);
      if (!known) {
        const accountId = ctx.oidc.session?.accountId;
        known = accountId
          ? s.accounts.findById(accountId).then((a) => (a ? passwordExpiryState(a, s.config, s.clock.now()) : 'valid'))
          : Promise.resolve('valid');
        states.set(ctx, known);
      }
      return known;
    };

    const prompt = new interactionPolicy.Prompt(
      { name: PASSWORD_EXPIRY_PROMPT, requestable: false },
      new interactionPolicy.Check('password_expired', 'the password has expired and must be changed', async (ctx) => (await state(ctx)) === 'expired'),
      new interactionPolicy.Check('password_expiring', 'the password expires soon', async (ctx) => {
        const result = ctx.oidc.result as Record<string, unknown> | undefined;
        // Only right after a password sign-in in this request, and only until the reminder was answered.
        if (!passwordTypedNow(result) || result?.[PASSWORD_EXPIRY_PROMPT]) return false;
        return (await state(ctx)) === 'expiring';
      }),
    );
    // Right after login, before consent: nothing is granted on an expired password.
    const login = policy.findIndex((p) => p.name === 'login');
    policy.add(prompt, login + 1);
  },
};
