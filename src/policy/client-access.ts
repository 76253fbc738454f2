/**
 * Per-client user types: a client with `allowed_user_types` (e.g. the digital library: internal only)
 * is closed to everyone else. A Check of its own prompt, `not_allowed`, right after login: it runs on
 * every authorization, also when an SSO session skips the login page. The person sees why
 * (interactions/access.ts) and the service receives error=access_denied, never a code; with prompt=none
 * the service gets access_denied at once. A client's `allowed_idps` closes it the same way to a federated
 * account from another institution.
 */
import { interactionPolicy } from 'oidc-provider';
import type { Services } from '../services.js';
import { clientPolicy, institutionAllowed, userTypeAllowed } from './client-policy.js';
import type { PolicyRule } from './index.js';
import { sessionAccount } from './session-account.js';

export const NOT_ALLOWED_PROMPT = 'not_allowed';

export const clientAccessRule: PolicyRule = {
  apply(policy, s: Services) {
    const prompt = new interactionPolicy.Prompt(
      { name: NOT_ALLOWED_PROMPT, requestable: false },
      new interactionPolicy.Check('user_type_not_allowed', 'this service is not available to this type of user', 'access_denied',
        async (ctx) => {
          if (!ctx.oidc.session?.accountId || !ctx.oidc.client) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
          const rule = clientPolicy(ctx.oidc.client);
          if (rule.allowedUserTypes === undefined && rule.allowedIdps === undefined) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
          const account = await sessionAccount(ctx, s);
          // Fails closed: an account that cannot be read is not let in.
          if (!account || !userTypeAllowed(rule, account.userType)) return true;
          return !(await institutionAllowed(s, rule, account));
        },
        async (ctx) => ({ user_type: (await sessionAccount(ctx, s))?.userType ?? null })),
    );
    // Right after login, before any other step: nobody is asked to do anything for a service closed to them.
    policy.add(prompt, policy.findIndex((p) => p.name === 'login') + 1);
  },
};
