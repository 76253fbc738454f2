/**
 * First-login access code: a client with `require_access_code` asks for a one-time code from the
 * helpdesk until the person has entered one for it (src/flows/access-code.ts). A Check of its own
 * prompt, `access_code`, after the user-type rule and before consent, on every authorization — also on
 * SSO. The page is interactions/access.ts; it finishes with { access_code: {} }.
 */
import { interactionPolicy } from 'oidc-provider';
import { AccessCodes } from '../flows/access-code.js';
import type { Services } from '../services.js';
import { clientPolicy } from './client-policy.js';
import type { PolicyRule } from './index.js';
import { beforeConsent } from './session-account.js';

export const ACCESS_CODE_PROMPT = 'access_code';

export const accessCodeRule: PolicyRule = {
  apply(policy, s: Services) {
    const codes = new AccessCodes(s);
    const prompt = new interactionPolicy.Prompt(
      { name: ACCESS_CODE_PROMPT, requestable: false },
      new interactionPolicy.Check('access_code_required', 'this service asks for an access code at the first sign-in', 'interaction_required',
        async (ctx) => {
          const accountId = ctx.oidc.session?.accountId;
          if (!accountId || !ctx.oidc.client || !clientPolicy(ctx.oidc.client).requireAccessCode) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
          return !(await codes.hasAccess(accountId, ctx.oidc.client.clientId));
        }),
    );
    policy.add(prompt, beforeConsent(policy));
  },
};
