/**
 * Two-factor authentication: a client with `require_2fa`, or a request whose `acr_values` name the
 * REFEDS MFA profile, needs a session whose amr records a second factor. A Check of its own prompt,
 * `second_factor`, right after the user-type rule, on every authorization — also on SSO: a session made
 * with the password alone is stepped up there (only the second factor is asked), and with prompt=none
 * the service gets interaction_required. The pages are interactions/second-factor.ts; they finish with
 * a `login` carrying the session's new amr/acr (and its original auth time) and { second_factor: {…} }.
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { hasSecondFactor, requestAsksMfa } from '../mfa/assurance.js';
import { clientPolicy } from './client-policy.js';
import type { PolicyRule } from './index.js';
import { NOT_ALLOWED_PROMPT } from './client-access.js';

export const SECOND_FACTOR_PROMPT = 'second_factor';

/** What the second-factor step adds to the interaction's result. */
export interface SecondFactorResult {
  /** True when the password was proved earlier, by the SSO session, not in this interaction. */
  sso: boolean;
}

/**
 * Was the password typed in this very interaction — not an SSO session reused, nor a second factor
 * added on top of one? (The second-factor step also finishes with a `login`.)
 */
export function passwordTypedNow(result: Record<string, unknown> | undefined): boolean {
  return Boolean(result?.login) && (result?.[SECOND_FACTOR_PROMPT] as SecondFactorResult | undefined)?.sso !== true;
}

/** Does this authorization need a second factor that the session does not have? */
export function needsSecondFactor(ctx: KoaContextWithOIDC): boolean {
  const { session, client, params } = ctx.oidc;
  if (!session?.accountId || !client) return false;
  if (!clientPolicy(client).require2fa && !requestAsksMfa(params?.acr_values)) return false;
  return !hasSecondFactor(session.amr);
}

export const secondFactorRule: PolicyRule = {
  apply(policy) {
    const prompt = new interactionPolicy.Prompt(
      { name: SECOND_FACTOR_PROMPT, requestable: false },
      new interactionPolicy.Check('second_factor_required', 'this service asks for a second factor', 'interaction_required',
        (ctx) => needsSecondFactor(ctx),
        // The session's auth time, kept across the step-up (auth_time and max_age stay those of the password).
        (ctx) => ({ login_ts: ctx.oidc.session?.loginTs ?? null })),
    );
    // After the user-type rule (nobody is asked for a factor by a service closed to them), before the rest.
    policy.add(prompt, policy.findIndex((p) => p.name === NOT_ALLOWED_PROMPT) + 1);
  },
};
