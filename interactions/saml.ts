/**
 * Porta as a SAML service provider, HTTP side: its metadata, sending a person to their institution, and the
 * assertion consumer service (ACS) the institution posts its answer to.
 *
 * SameSite: the institution's POST to /saml/acs is cross-site, so the interaction cookie (SameSite=Lax) is
 * not sent with it. The ACS therefore finds the AuthnRequest by the RelayState (its ID), which records the
 * interaction it was sent for, checks the answer with SamlSp (InResponseTo that very request, spent once),
 * stores what it established on the request, and answers 303 to GET /interaction/:uid/saml/return: a
 * top-level GET on Porta, which does carry the Lax cookies. Only the browser holding that interaction's
 * cookie can finish it; a response posted into another browser (login CSRF) leads nowhere. No cookie of our
 * own with SameSite=None is needed (which would also need Secure, and a third-party cookie policy's mercy).
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { checkedAttributes, claimsFromAttributes, federatedIdentifier, friendlyAttributes } from '../src/federation/attributes.js';
import { FederatedAccounts, type FederatedClaims } from '../src/federation/accounts.js';
import { displayName, type FederatedIdp } from '../src/federation/registry.js';
import { acsUrl, spEntityId, spMetadata } from '../src/federation/saml/sp-metadata.js';
import { asksFreshSignIn, authTimeOf, mfaRefused, SamlResponseError, SamlSp } from '../src/federation/saml/sp.js';
import { OidcRp, OidcUpstreamError } from '../src/federation/oidc/upstream.js';
import { pageContext } from '../src/http/context.js';
import { renderErrorPage } from '../src/http/errors.js';
import { isLocale, type MessageKey } from '../src/i18n/index.js';
import type { Account } from '../src/accounts/account.js';
import type { Authenticator } from '../src/accounts/authenticate.js';
import { codeProof, reproveForChange } from '../src/mfa/reproof.js';
import { inBackground } from '../src/flows/background.js';
import { institutionLinkedMail } from '../src/mail/federation.js';
import { ACR_MFA, federatedAmr, requestAsksMfa } from '../src/mfa/assurance.js';
import { clientPolicy, idpAllowed } from '../src/policy/client-policy.js';
import { loginResult } from '../src/provider.js';
import type { Services } from '../src/services.js';
import { field, form } from './forms.js';
import { federationErrorPage, linkOfferPage, type InstitutionChoice } from './views/federation.js';
import { delayMessage } from './signin.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What the ACS established, kept on the AuthnRequest until the browser comes back with its cookies. */
type Ok = { subject: string; claims: FederatedClaims; mfa: boolean; offer?: string; authTime?: number };
type Outcome =
  | { ok: Ok }
  | { error: 'status' | 'expired' | 'invalid' | 'replayed' | 'no_identifier' | 'unavailable'; statusCode?: string };

const ERROR_MESSAGES: Record<Exclude<Outcome, { ok: unknown }>['error'], MessageKey> = {
  status: 'federation.error.status',
  expired: 'federation.error.expired',
  invalid: 'federation.error.invalid',
  replayed: 'federation.error.replayed',
  no_identifier: 'federation.error.no_identifier',
  unavailable: 'federation.error.unavailable',
};

// An encrypted response with many attributes stays well below this; anything larger is not an IdP's answer.
const acsBody = bodyParser({ enableTypes: ['form'], formLimit: '512kb', encoding: 'utf-8' });
const MAX_RESPONSE_CHARS = 512 * 1024;
const REQUEST_ID = /^_[0-9a-f]{40}$/;

export interface FederatedSignIn {
  /** The institutions this interaction's client accepts, by name in the page's language. */
  choices(ctx: Context, details: Details): Promise<InstitutionChoice[]>;
  /** Sends the browser to the institution with a signed AuthnRequest; a page when it cannot be used. */
  start(ctx: Context, details: Details, entityId: string, o?: { withoutMfa?: boolean }): Promise<void>;
}

export function samlRoutes(provider: Provider, s: Services, issuer: string, auth: Authenticator): { router: Router; federated: FederatedSignIn } {
  const router = new Router();
  const sp = new SamlSp(s.db, s.clock, s.spKeys, spEntityId(s.config, issuer), acsUrl(issuer), s.config.interactionTtlSeconds * 1000);
  const rp = new OidcRp(s.db, s.clock, oidcCallbackUrl(issuer), s.config.interactionTtlSeconds * 1000);
  const accounts = new FederatedAccounts(s);
  const name = (ctx: Context, idp: FederatedIdp) => displayName(idp, ctx.state.locale as string);

  const federated: FederatedSignIn = {
    async choices(ctx, details) {
      const { policy } = await clientOf(provider, details);
      return s.federation.all().filter((idp) => idpAllowed(policy, idp.id)).map((idp) => ({ entityId: idp.id, name: name(ctx, idp) }));
    },
    async start(ctx, details, entityId, o = {}) {
      ctx.set('Cache-Control', 'no-store');
      const idp = s.federation.find(entityId);
      const { clientName, policy } = await clientOf(provider, details);
      if (!idp) return renderFederationError(ctx, details.uid, undefined, ctx.state.t('federation.unknown_idp'), 404);
      if (!idpAllowed(policy, idp.id)) {
        const message = ctx.state.t('federation.idp_not_allowed', { client: clientName, institution: name(ctx, idp) });
        return renderFederationError(ctx, details.uid, undefined, message, 403);
      }
      // A service that needs two factors asks the institution for REFEDS MFA; without it Porta's own step follows.
      const requireMfa = !o.withoutMfa && (policy.require2fa || requestAsksMfa(details.params.acr_values));
      let url: string;
      if (idp.kind === 'saml') {
        ({ url } = await sp.authnRequest(idp.saml, undefined, { interactionUid: details.uid, requireMfa, forceAuthn: asksFreshSignIn(details.params) }));
      } else {
        try {
          url = (await rp.authorizationUrl(idp.oidc, { interactionUid: details.uid, requireMfa })).href;
        } catch (err) {
          if (!(err instanceof OidcUpstreamError)) throw err;
          ctx.state.log.warn({ idp: idp.id, reason: err.message }, 'OIDC institution unreachable');
          return renderFederationError(ctx, details.uid, idp.id, ctx.state.t('federation.error.unavailable', { institution: name(ctx, idp) }), 502);
        }
      }
      ctx.status = 303;
      ctx.redirect(url);
    },
  };

  function renderFederationError(ctx: Context, uid: string, entityId: string | undefined, message: string, status = 400) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = federationErrorPage(pageContext(ctx, ctx.path), { uid, entityId, message }).value;
  }

  // Read by federation operators' tools and IdPs; short caching so a key rotation shows within minutes.
  router.get('/saml/metadata', async (ctx) => {
    ctx.type = 'application/samlmetadata+xml';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = spMetadata(s.config, issuer, await s.spKeys.published());
  });

  // "Sign in with your institution": one of the login page's buttons, or "Try again" on an error page.
  router.post('/interaction/:uid/saml', form, async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') return ctx.redirect(`/interaction/${details.uid}`);
    await federated.start(ctx, details, field(ctx, 'idp', 1024) ?? '');
  });

  // The institution's answer: a cross-site POST without Porta's cookies (see the top of this file), so no CSRF token either.
  router.post('/saml/acs', acsBody, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const relayState = typeof body.RelayState === 'string' && REQUEST_ID.test(body.RelayState) ? body.RelayState : undefined;
    const response = typeof body.SAMLResponse === 'string' && body.SAMLResponse.length <= MAX_RESPONSE_CHARS ? body.SAMLResponse : undefined;
    const request = relayState ? await sp.request(relayState) : undefined;
    if (!request?.interactionUid || !response || request.expiresAt <= s.clock.now()) {
      await s.audit.record({ action: 'federation.response_refused', actor: 'anonymous', ip: ctx.ip, details: { reason: 'unsolicited' } });
      return renderErrorPage(ctx, 400, ctx.state.t('federation.error.unsolicited'));
    }
    const idp = s.federation.find(request.idpEntityId);
    if (idp?.kind !== 'saml') return renderErrorPage(ctx, 400, ctx.state.t('federation.error.unknown_idp'));

    let outcome: Outcome;
    try {
      const assertion = await sp.acceptResponse(idp.saml, request.id, response);
      const { kept, dropped } = checkedAttributes(friendlyAttributes(assertion.attributes), idp.facts);
      if (dropped.length) ctx.state.log.warn({ idp: idp.id, dropped }, 'SAML attributes dropped (out of scope or malformed)');
      const subject = federatedIdentifier(kept, assertion.nameId, idp.facts);
      outcome = subject
        ? { ok: { subject, claims: claimsFromAttributes(kept, idp.trustEmailVerified), mfa: assertion.authnContext === ACR_MFA, authTime: authTimeOf(assertion) } }
        : { error: 'no_identifier' };
    } catch (err) {
      if (!(err instanceof SamlResponseError)) throw err;
      ctx.state.log.warn({ idp: idp.id, code: err.code, reason: err.message }, 'SAML response refused');
      outcome = err.code === 'unsolicited' ? { error: 'invalid' } : { error: err.code, statusCode: err.statusCode };
    }
    if ('error' in outcome) await s.audit.record({ action: 'federation.response_refused', actor: 'anonymous', ip: ctx.ip, details: { idp: idp.id, reason: outcome.error, status: outcome.statusCode } });
    await sp.recordOutcome(request.id, JSON.stringify(outcome));
    ctx.status = 303;
    ctx.redirect(`/interaction/${request.interactionUid}/saml/return?request=${request.id}`);
  });

  // An OIDC institution's answer: a top-level GET, but oidc-provider's interaction cookie is scoped to
  // /interaction/:uid, so it is not sent here. The state names the request (and so the interaction); the
  // answer goes on, unused, to that interaction's address, where the cookie proves it is this browser's.
  router.get(OIDC_CALLBACK_PATH, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const state = typeof ctx.query.state === 'string' && REQUEST_ID.test(ctx.query.state) ? ctx.query.state : undefined;
    const request = state ? await rp.request(state) : undefined;
    if (!request?.interactionUid || request.expiresAt <= s.clock.now() || ctx.querystring.length > 8192) {
      await s.audit.record({ action: 'federation.response_refused', actor: 'anonymous', ip: ctx.ip, details: { reason: 'unsolicited' } });
      return renderErrorPage(ctx, 400, ctx.state.t('federation.error.unsolicited'));
    }
    ctx.status = 303;
    ctx.redirect(`/interaction/${request.interactionUid}/oidc/return?${ctx.querystring}`);
  });

  // With the interaction's cookie: the request must be this interaction's and unspent; then the code is
  // exchanged and the ID token and userinfo checked, and the sign-in goes on like a SAML one (settle).
  router.get('/interaction/:uid/oidc/return', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const state = typeof ctx.query.state === 'string' && REQUEST_ID.test(ctx.query.state) ? ctx.query.state : undefined;
    const request = state ? await rp.request(state) : undefined;
    const idp = request && s.federation.find(request.idp);
    if (!request || request.interactionUid !== details.uid || request.expiresAt <= s.clock.now() || idp?.kind !== 'oidc') {
      await s.audit.record({ action: 'federation.response_refused', actor: 'anonymous', ip: ctx.ip, details: { reason: 'unsolicited' } });
      return renderErrorPage(ctx, 400, ctx.state.t('federation.error.unsolicited'));
    }
    let outcome: Outcome;
    const upstreamError = typeof ctx.query.error === 'string' ? ctx.query.error.slice(0, 100) : undefined;
    if (!(await rp.spend(request.id))) {
      outcome = { error: 'replayed' };
    } else if (upstreamError) {
      // access_denied: the person cancelled at the institution (or it refused them): its page, with the ways on.
      outcome = { error: 'status', statusCode: upstreamError };
    } else {
      try {
        outcome = { ok: await rp.complete(idp.oidc, request, new URL(`${rp.redirectUri}?${ctx.querystring}`)) };
      } catch (err) {
        if (!(err instanceof OidcUpstreamError)) throw err;
        ctx.state.log.warn({ idp: idp.id, code: err.code, reason: err.message }, 'OIDC answer refused');
        outcome = { error: err.code };
      }
    }
    if ('error' in outcome) await s.audit.record({ action: 'federation.response_refused', actor: 'anonymous', ip: ctx.ip, details: { idp: idp.id, reason: outcome.error, status: outcome.statusCode } });
    await settle(ctx, details, request.id, idp, outcome);
  });

  // Back on Porta with the interaction's cookie: finish the sign-in, or say what went wrong and offer the ways on.
  router.get('/interaction/:uid/saml/return', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const requestId = typeof ctx.query.request === 'string' && REQUEST_ID.test(ctx.query.request) ? ctx.query.request : '';
    const taken = requestId ? await sp.takeOutcome(requestId, details.uid) : undefined;
    const idp = taken && s.federation.find(taken.idpEntityId);
    if (!taken || !idp) return renderErrorPage(ctx, 400, ctx.state.t('federation.error.unsolicited'));
    await settle(ctx, details, requestId, idp, JSON.parse(taken.outcome) as Outcome, taken.requestedMfa);
  });

  /** An institution's checked answer (SAML or OIDC): its error page, the link offer, or the sign-in finished. */
  async function settle(ctx: Context, details: Details, requestId: string, idp: FederatedIdp, outcome: Outcome, requestedMfa = false) {
    const clientId = String(details.params.client_id);
    // The institution cannot do the MFA asked for: once more without asking, then Porta's own second factor.
    if ('error' in outcome && mfaRefused(requestedMfa, outcome.statusCode)) return federated.start(ctx, details, idp.id, { withoutMfa: true });
    if ('error' in outcome) {
      await s.audit.record({ action: 'login.failed', actor: 'anonymous', clientId, ip: ctx.ip, details: { reason: `federation.${outcome.error}`, idp: idp.id } });
      return renderFederationError(ctx, details.uid, idp.id, ctx.state.t(ERROR_MESSAGES[outcome.error], { institution: name(ctx, idp) }));
    }
    // A new identity whose address a local account holds: offer to link (never done on its own).
    const candidate = await accounts.linkCandidate(loginOf(idp, outcome.ok), idp.trustEmailVerified);
    if (candidate) {
      await sp.recordOutcome(requestId, JSON.stringify({ ok: { ...outcome.ok, offer: candidate.id } }));
      return renderOffer(ctx, details.uid, requestId, candidate, idp);
    }
    await finish(ctx, details, idp, outcome.ok);
  }

  /** The outcome behind a form of the link offer, taken once; undefined (a page sent) when there is none. */
  async function offered(ctx: Context, details: Details) {
    const requestId = field(ctx, 'request', 64) ?? '';
    const taken = REQUEST_ID.test(requestId) ? await sp.takeOutcome(requestId, details.uid) : undefined;
    const idp = taken && s.federation.find(taken.idpEntityId);
    const outcome = taken && (JSON.parse(taken.outcome) as Outcome);
    if (!idp || !outcome || !('ok' in outcome) || !outcome.ok.offer) {
      renderErrorPage(ctx, 400, ctx.state.t('federation.error.unsolicited'));
      return undefined;
    }
    return { requestId, idp, ok: outcome.ok, offer: outcome.ok.offer };
  }

  // Link: the local account's password, and its second factor when it has one (a stolen password alone must
  // not open a path around it), under the same limits and lockout as a sign-in (src/mfa/reproof.ts).
  router.post('/interaction/:uid/saml/link', form, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const o = await offered(ctx, details);
    if (!o) return;
    const account = await s.accounts.findById(o.offer);
    if (!account?.passwordHash || account.status !== 'active') return finish(ctx, details, o.idp, o.ok);
    const password = field(ctx, 'password', 128, { trim: false }) ?? '';
    const clientId = String(details.params.client_id);
    const proof = await reproveForChange(s, auth, account, ctx.ip, { password, secondFactor: codeProof(s, account.id, field(ctx, 'code', 32) ?? ''), change: 'federation_link' });
    if (!proof.ok) {
      await s.audit.record({ action: 'login.failed', actor: `account:${account.id}`, accountId: account.id, clientId, ip: ctx.ip, details: { reason: proof.result.kind, step: 'federation_link' } });
      await sp.recordOutcome(o.requestId, JSON.stringify({ ok: o.ok }));
      const wrong = (await s.secondFactors.has(account.id)) ? ctx.state.t('mfa.reproof.wrong') : ctx.state.t('login.invalid');
      return renderOffer(ctx, details.uid, o.requestId, account, o.idp, delayMessage(ctx, s, proof.result) ?? wrong);
    }
    if (!(await accounts.link(account, loginOf(o.idp, o.ok), { ip: ctx.ip, clientId }))) {
      return renderFederationError(ctx, details.uid, o.idp.id, ctx.state.t('federation.link.failed', { institution: name(ctx, o.idp) }), 409);
    }
    if (account.email) {
      const to = account.email;
      inBackground(s, 'institution linked notice', () => s.mailer.send(institutionLinkedMail({
        locale: isLocale(account.locale) ? account.locale : s.config.defaultLocale, to, givenName: account.givenName,
        institution: displayName(o.idp, isLocale(account.locale) ? account.locale : s.config.defaultLocale), accountUrl: `${issuer}/account`,
      })));
    }
    await s.audit.record({ action: 'login.succeeded', actor: `account:${account.id}`, accountId: account.id, clientId, ip: ctx.ip, details: { method: 'federated', idp: o.idp.id, mfa: o.ok.mfa, linked: true } });
    await provider.interactionFinished(ctx.req, ctx.res, { login: loginResult(s.clock, account.id, federatedAmr(o.ok.mfa), o.ok.authTime) }, { mergeWithLastSubmission: false });
  });

  // A separate account after all: the identity gets a federated account of its own.
  router.post('/interaction/:uid/saml/separate', form, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const o = await offered(ctx, details);
    if (o) await finish(ctx, details, o.idp, o.ok);
  });

  async function renderOffer(ctx: Context, uid: string, requestId: string, account: Account, idp: FederatedIdp, error?: string) {
    const askCode = await s.secondFactors.has(account.id);
    ctx.status = error ? 400 : 200;
    ctx.type = 'html';
    ctx.body = linkOfferPage(pageContext(ctx, ctx.path), { uid, requestId, email: account.email ?? '', institution: name(ctx, idp), askCode, error }).value;
  }

  /** Signs in with the identity's account (made at its first sign-in), like a password sign-in ends. */
  async function finish(ctx: Context, details: Details, idp: FederatedIdp, ok: Ok) {
    const clientId = String(details.params.client_id);
    const { account, created } = await accounts.signIn(loginOf(idp, ok), { ip: ctx.ip, clientId });
    if (account.status !== 'active') {
      await s.audit.record({ action: 'login.failed', actor: `account:${account.id}`, accountId: account.id, clientId, ip: ctx.ip, details: { reason: account.status, idp: idp.id } });
      return renderFederationError(ctx, details.uid, undefined, ctx.state.t('federation.error.disabled'), 403);
    }
    await s.audit.record({ action: 'login.succeeded', actor: `account:${account.id}`, accountId: account.id, clientId, ip: ctx.ip, details: { method: 'federated', idp: idp.id, mfa: ok.mfa, created } });
    await provider.interactionFinished(ctx.req, ctx.res, { login: loginResult(s.clock, account.id, federatedAmr(ok.mfa), ok.authTime) }, { mergeWithLastSubmission: false });
  }

  return { router, federated };
}

/** The redirect URI to register at every OIDC institution. */
export const OIDC_CALLBACK_PATH = '/federation/oidc/callback';
export const oidcCallbackUrl = (issuer: string) => `${issuer}${OIDC_CALLBACK_PATH}`;

const loginOf = (idp: FederatedIdp, ok: Ok) => ({ idp: idp.id, subject: ok.subject, claims: ok.claims });

/** The interaction's client and its access policy. */
async function clientOf(provider: Provider, details: Details) {
  const client = typeof details.params.client_id === 'string' ? await provider.Client.find(details.params.client_id) : undefined;
  return { clientName: client?.clientName ?? String(details.params.client_id), policy: clientPolicy(client ?? {}) };
}
