/**
 * An institution that speaks OpenID Connect: a real oidc-provider instance on its own random port, with
 * people whose sign-in at the institution the test decides (`next`: who, with which acr, or that they
 * cancel). `tamper` rewrites the next ID token (re-signed with the institution's own key) to test Porta's
 * checks of a misbehaving upstream.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import Provider from 'oidc-provider';

export interface UpstreamPerson { sub: string; claims: Record<string, unknown> }

export class TestOidcUpstream {
  issuer = '';
  readonly clientId = 'porta';
  readonly clientSecret = randomBytes(24).toString('hex');
  private server?: Server;
  private provider?: Provider;
  private readonly people = new Map<string, UpstreamPerson>();
  private readonly jwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'upstream-1', alg: 'RS256', use: 'sig' };
  /** What happens at the next sign-in at the institution. */
  next: { person?: UpstreamPerson; acr?: string; error?: string } = {};
  /** Claims overwritten in the next ID token the token endpoint issues. */
  tamper?: Record<string, unknown>;
  /** The next userinfo request fails (a 500 from the institution). */
  failUserinfo = false;
  /** The next token request gets its connection dropped (the institution went away). */
  dropToken = false;
  /** With `privateKeyJwt`, Porta authenticates with this key (its public half registered here) instead of a secret. */
  readonly clientJwk?: Record<string, unknown>;

  constructor(o: { privateKeyJwt?: boolean } = {}) {
    if (o.privateKeyJwt) this.clientJwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'porta-1' };
  }

  /** Listens first: Porta's federation file needs the issuer before Porta (and its redirect URI) exists. */
  async listen(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The provider, once Porta's redirect URI is known. */
  start(redirectUri: string): void {
    const people = this.people;
    this.provider = new Provider(this.issuer, {
      clients: [{
        client_id: this.clientId, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'],
        ...(this.clientJwk
          ? { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: String(this.clientJwk.x), y: String(this.clientJwk.y), kid: 'porta-1' }] } }
          : { client_secret: this.clientSecret }),
      }],
      jwks: { keys: [this.jwk] },
      cookies: { keys: ['upstream-test-cookie-key'] },
      pkce: { required: () => true },
      acrValues: ['https://refeds.org/profile/mfa', 'https://refeds.org/profile/sfa'],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name', 'schac_home_organization', 'eduperson_principal_name', 'affiliation'] },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      async findAccount(_ctx, sub) {
        const person = people.get(sub);
        return person && { accountId: sub, claims: async () => ({ sub, ...person.claims }) };
      },
      // The institution's own consent is not under test: every requested scope is granted.
      async loadExistingGrant(ctx) {
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
        grant.addOIDCScope(String(ctx.oidc.params!.scope));
        await grant.save();
        return grant;
      },
    });
    this.provider.use(async (ctx, next) => {
      if (ctx.path === '/token' && this.dropToken) {
        this.dropToken = false;
        ctx.req.socket.destroy();
        return;
      }
      if (ctx.path === '/me' && this.failUserinfo) {
        this.failUserinfo = false;
        ctx.status = 500;
        ctx.body = { error: 'server_error' };
        return;
      }
      await next();
      const body = ctx.body as { id_token?: string } | undefined;
      if (ctx.path === '/token' && this.tamper && body?.id_token) {
        const claims = { ...jose.decodeJwt(body.id_token), ...this.tamper };
        body.id_token = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: this.jwk.kid }).sign(await jose.importJWK(this.jwk, 'RS256'));
        this.tamper = undefined;
      }
    });
  }

  person(sub: string, claims: Record<string, unknown>): UpstreamPerson {
    const p = { sub, claims };
    this.people.set(sub, p);
    return p;
  }

  /** The last authorization request Porta sent here. */
  lastAuthorization?: URL;

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const provider = this.provider!;
    const url = new URL(req.url ?? '/', this.issuer);
    if (url.pathname === '/auth') this.lastAuthorization = url;
    if (!url.pathname.startsWith('/interaction/')) return provider.callback()(req, res);
    // The person at the institution: signs in as `next` says (or cancels), with no page of its own.
    const { error, person, acr } = this.next;
    const result = error ? { error, error_description: 'The person cancelled' } : { login: { accountId: person!.sub, acr } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
