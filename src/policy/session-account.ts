/**
 * The account behind the session of an authorization request, read once per request: the Checks of
 * one prompt run in parallel, and several rules need it.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Account } from '../accounts/account.js';
import type { Services } from '../services.js';

const read = new WeakMap<KoaContextWithOIDC, Promise<Account | undefined>>();

export function sessionAccount(ctx: KoaContextWithOIDC, s: Services): Promise<Account | undefined> {
  let account = read.get(ctx);
  if (!account) {
    const id = ctx.oidc.session?.accountId;
    account = id ? s.accounts.findById(id) : Promise.resolve(undefined);
    read.set(ctx, account);
  }
  return account;
}

/** Inserts a prompt right before consent (after login and anything added after login). */
export function beforeConsent(policy: { findIndex(f: (p: { name: string }) => boolean): number; length: number }): number {
  const consent = policy.findIndex((p) => p.name === 'consent');
  return consent === -1 ? policy.length : consent;
}
