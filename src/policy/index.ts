/**
 * Who must do what before a relying service gets a code: oidc-provider's interaction policy. Every rule
 * is a Prompt or a Check here, so it runs on every authorization — also when an SSO session would
 * otherwise skip the login page. A rule that a session can skip is a hole.
 *
 * To add a rule: write src/policy/<rule>.ts exporting a `PolicyRule` and list it in RULES below; its page
 * (if the person must act) goes in interactions/ and is registered in interactions/prompts.ts.
 */
import { interactionPolicy } from 'oidc-provider';
import type { Services } from '../services.js';
import { accessCodeRule } from './access-code.js';
import { clientAccessRule } from './client-access.js';
import { passwordExpiryRule } from './password-expiry.js';
import { secondFactorRule } from './second-factor.js';

export interface PolicyRule {
  /** Adds Checks to the built-in prompts or returns a new Prompt to append (after login and consent). */
  apply(prompts: interactionPolicy.DefaultPolicy, s: Services): interactionPolicy.Prompt | void;
}

// Resulting order: login, not_allowed (client-access: right after login), second_factor (right after
// not_allowed: nothing else, not even a password change, on the password alone), password_expiry,
// access_code (before consent), consent.
const RULES: PolicyRule[] = [
  passwordExpiryRule,
  clientAccessRule,
  secondFactorRule,
  accessCodeRule,
];

export function buildPolicy(s: Services): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  for (const rule of RULES) {
    const prompt = rule.apply(policy, s);
    if (prompt) policy.add(prompt);
  }
  return policy;
}
