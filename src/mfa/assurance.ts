/**
 * How a person proved who they are, as the session records it (oidc-provider's session amr/acr) and
 * ID tokens carry it: `amr` values of RFC 8176 and the REFEDS assurance profiles as `acr`. Policies read
 * these; nothing re-derives them from elsewhere.
 */
export const ACR_MFA = 'https://refeds.org/profile/mfa';
export const ACR_SFA = 'https://refeds.org/profile/sfa';
export const ACR_VALUES = [ACR_MFA, ACR_SFA] as const;

/** RFC 8176 values of the second factors: one-time code (TOTP, recovery code), hardware or software key. */
export type SecondFactorAmr = 'otp' | 'hwk' | 'swk';

/** A password sign-in. */
export const PASSWORD_AMR = ['pwd'];

/**
 * A sign-in at an institution (`fed`, as AARC and eduGAIN proxies write it); with `mfa` when the
 * institution asserted the REFEDS MFA profile, which then counts as Porta's second factor.
 */
export const federatedAmr = (institutionAssertedMfa: boolean) => (institutionAssertedMfa ? ['fed', 'mfa'] : ['fed']);

export const hasSecondFactor = (amr: readonly string[] | undefined) => Boolean(amr?.includes('mfa'));

export const acrFor = (amr: readonly string[] | undefined) => (hasSecondFactor(amr) ? ACR_MFA : ACR_SFA);

/** The session's amr after a second factor was proved on top of it (`mfa` says there were two). */
export function withSecondFactor(amr: readonly string[] | undefined, factor: SecondFactorAmr): string[] {
  return [...new Set([...(amr?.length ? amr : PASSWORD_AMR), factor, 'mfa'])];
}

/** Does the request ask for a second factor itself (acr_values with the REFEDS MFA profile)? */
export const requestAsksMfa = (acrValues: unknown) => typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_MFA);
