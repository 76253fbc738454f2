/**
 * Client policies after sign-in. oidc-provider's refresh_token grant runs no interaction policy, so a
 * person whose access code was revoked, or whose user type a tightened client no longer allows (a
 * changed clients file, then a restart), would keep refreshing. The grant does call findAccount with
 * the refresh token: src/provider.ts asks `policyAllows` there and answers "no account" (the client
 * gets invalid_grant). `porta clients update` also ends, at once, the grants a tightened policy no
 * longer allows (`revokeDisallowedGrants`), so their access tokens stop working too.
 */
import type { Account } from '../accounts/account.js';
import { AccessCodes } from '../flows/access-code.js';
import type { Services } from '../services.js';
import { clientGrants, revokeGrants } from '../storage/oidc-adapter.js';
import { clientPolicy, institutionAllowed, userTypeAllowed } from './client-policy.js';

/** May the person use the client under its current policy? `client` as oidc-provider hands it over. */
export async function policyAllows(s: Services, account: Pick<Account, 'id' | 'userType'>, client: { clientId: string }): Promise<boolean> {
  const policy = clientPolicy(client);
  if (!userTypeAllowed(policy, account.userType) || !(await institutionAllowed(s, policy, account))) return false;
  return !policy.requireAccessCode || new AccessCodes(s).hasAccess(account.id, client.clientId);
}

/** Ends the client's grants to people its policy (`metadata`, as stored) no longer lets in; returns how many. */
export async function revokeDisallowedGrants(s: Services, clientId: string, metadata: Record<string, unknown>): Promise<number> {
  const client = { ...metadata, clientId };
  const disallowed: string[] = [];
  for (const grant of await clientGrants(s.db, clientId)) {
    const account = await s.accounts.findById(grant.accountId);
    if (!account || !(await policyAllows(s, account, client))) disallowed.push(grant.grantId);
  }
  return revokeGrants(s.db, disallowed);
}
