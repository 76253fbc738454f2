/**
 * A relying service's access policy, read from its client metadata (clients file or `porta clients add`):
 *
 * - `allowed_user_types`: the user types that may sign in to it (`internal`, `external`, `federated`);
 *   absent means everyone. Enforced by src/policy/client-access.ts.
 * - `allowed_idps`: the institutions (entityIDs) a federated account may come from; absent means all of
 *   the federation file. Enforced by src/policy/client-access.ts and the institution list (interactions/saml.ts).
 * - `require_access_code`: a one-time code from the helpdesk at a person's first sign-in to it.
 *   Enforced by src/policy/access-code.ts.
 * - `require_2fa`: a second factor at every sign-in to it. Enforced by src/policy/second-factor.ts.
 * - `pkce_optional`: a legacy confidential service that cannot send PKCE; every other client using the
 *   code flow must send an S256 code_challenge (oidc-provider's `pkce.required`, src/provider.ts).
 *
 * Later per-client requirements join ClientPolicy here, are checked
 * in clientPolicyProblems, listed in PORTA_CLIENT_METADATA (src/clients.ts) and enforced by their own
 * rule in src/policy/. Nothing here reads a field that no rule enforces.
 */
import { USER_TYPES, type Account, type UserType } from '../accounts/account.js';
import { FederatedAccounts } from '../federation/accounts.js';
import type { Services } from '../services.js';

export interface ClientPolicy {
  /** undefined: every user type may sign in. */
  allowedUserTypes?: readonly UserType[];
  requireAccessCode: boolean;
  require2fa: boolean;
  /** undefined: every institution of the federation file; else only these entityIDs (federated sign-in). */
  allowedIdps?: readonly string[];
}

/** What is wrong with the policy fields of a client's metadata (empty when nothing). */
export function clientPolicyProblems(metadata: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const types = metadata.allowed_user_types;
  if (types !== undefined) {
    const valid = Array.isArray(types) && types.length > 0 && types.every((t) => (USER_TYPES as readonly unknown[]).includes(t)) && new Set(types).size === types.length;
    if (!valid) problems.push(`allowed_user_types must be a non-empty list of distinct user types out of ${USER_TYPES.join(', ')} (leave it out to allow everyone)`);
  }
  const idps = metadata.allowed_idps;
  if (idps !== undefined) {
    const valid = Array.isArray(idps) && idps.length > 0 && idps.length <= 1000 && idps.every((i) => typeof i === 'string' && i.length > 0 && i.length <= 1024) && new Set(idps).size === idps.length;
    if (!valid) problems.push('allowed_idps must be a non-empty list of distinct institution entityIDs (leave it out to allow every institution)');
  }
  for (const flag of ['require_access_code', 'require_2fa', 'pkce_optional']) {
    if (metadata[flag] !== undefined && typeof metadata[flag] !== 'boolean') problems.push(`${flag} must be true or false`);
  }
  if (metadata.pkce_optional === true && metadata.token_endpoint_auth_method === 'none') problems.push('pkce_optional is for confidential clients only: a public client always needs PKCE');
  return problems;
}

/**
 * The policy of a client as oidc-provider hands it over (extra metadata keeps its snake_case name).
 * A malformed value (never accepted on entry, but possible in a hand-edited database row) fails closed.
 */
export function clientPolicy(client: object): ClientPolicy {
  const c = client as Record<string, unknown>;
  const types = c.allowed_user_types;
  let allowedUserTypes: readonly UserType[] | undefined;
  if (types !== undefined && types !== null) {
    allowedUserTypes = Array.isArray(types) ? types.filter((t): t is UserType => (USER_TYPES as readonly unknown[]).includes(t)) : [];
  }
  const idps = c.allowed_idps;
  const allowedIdps = idps === undefined || idps === null ? undefined : Array.isArray(idps) ? idps.filter((i): i is string => typeof i === 'string') : [];
  return { allowedUserTypes, requireAccessCode: c.require_access_code === true, require2fa: c.require_2fa === true, allowedIdps };
}

export function idpAllowed(policy: ClientPolicy, entityId: string): boolean {
  return policy.allowedIdps === undefined || policy.allowedIdps.includes(entityId);
}

/** A federated account's institution is one the client accepts (always true for other accounts). */
export async function institutionAllowed(s: Services, policy: ClientPolicy, account: Pick<Account, 'id' | 'userType'>): Promise<boolean> {
  if (policy.allowedIdps === undefined || account.userType !== 'federated') return true;
  const identity = await new FederatedAccounts(s).identityOf(account.id);
  return Boolean(identity && idpAllowed(policy, identity.idp));
}

export function userTypeAllowed(policy: ClientPolicy, userType: UserType): boolean {
  return policy.allowedUserTypes === undefined || policy.allowedUserTypes.includes(userType);
}
