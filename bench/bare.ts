/**
 * The floor: a bare oidc-provider (the version Porta runs) with an in-memory adapter, configured as Porta
 * configures it — same claims and scopes, TTLs, PKCE rule, refresh-token rotation, features, ES256 JWT
 * access tokens for the API, first-party grants without a consent page, ES256 + RS256 signing keys — and
 * a minimal login page that spends one argon2id verification at Porta's parameters, as Porta's does.
 * No accounts, no database, no logging, no CSRF, no i18n: what is left is what the library costs.
 *
 * Started by bench/run.ts with the environment it gives Porta; reports { type: 'ready', url } over IPC.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import argon2 from 'argon2';
import Provider, { errors, type Adapter, type AdapterPayload, type ClientMetadata, type Configuration } from 'oidc-provider';
import { loadConfig } from '../config/load.js';
import { CLAIMS_BY_SCOPE } from '../src/accounts/account.js';

const config = loadConfig();

function signingKey(alg: 'ES256' | 'RS256', kid: string) {
  const { privateKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

const argon2Options = { type: argon2.argon2id, memoryCost: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: config.argon2Parallelism } as const;
const storedHash = await argon2.hash('bare-has-no-accounts', argon2Options);

/**
 * oidc-provider's own MemoryAdapter is an LRU of 1,000 entries: under load it would forget sessions and
 * tokens still in use. This one is a plain Map per model (what a Map-backed store costs, expiry honoured).
 */
const stores = new Map<string, Map<string, { payload: AdapterPayload; expiresAt: number }>>();
class MapAdapter implements Adapter {
  private readonly store: Map<string, { payload: AdapterPayload; expiresAt: number }>;
  private static readonly byUid = new Map<string, string>();
  private static readonly byGrant = new Map<string, Set<string>>();
  constructor(private readonly model: string) {
    this.store = stores.get(model) ?? new Map();
    stores.set(model, this.store);
  }
  private key = (id: string) => `${this.model}:${id}`;
  async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
    this.store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (payload.uid) MapAdapter.byUid.set(this.key(payload.uid), id);
    if (payload.grantId) {
      const ids = MapAdapter.byGrant.get(payload.grantId) ?? new Set<string>();
      ids.add(this.key(id));
      MapAdapter.byGrant.set(payload.grantId, ids);
    }
  }
  async find(id: string) {
    const entry = this.store.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.store.delete(id);
      return undefined;
    }
    return entry.payload;
  }
  async findByUid(uid: string) {
    const id = MapAdapter.byUid.get(this.key(uid));
    return id === undefined ? undefined : this.find(id);
  }
  async findByUserCode() { return undefined; }
  async consume(id: string) {
    const entry = this.store.get(id);
    if (entry) entry.payload = { ...entry.payload, consumed: Math.floor(Date.now() / 1000) };
  }
  async destroy(id: string) { this.store.delete(id); }
  async revokeByGrantId(grantId: string) {
    for (const key of MapAdapter.byGrant.get(grantId) ?? []) {
      const [model, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      stores.get(model)?.delete(id);
    }
    MapAdapter.byGrant.delete(grantId);
  }
}

const configuration: Configuration = {
  adapter: MapAdapter,
  clients: JSON.parse(readFileSync(config.clientsFile, 'utf8')) as ClientMetadata[],
  jwks: { keys: [signingKey('ES256', 'bare-es256'), signingKey('RS256', 'bare-rs256')] },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      claims: () => ({
        sub: id, person_code: '12345678', user_type: 'internal', name: 'Maria Rossi', given_name: 'Maria', family_name: 'Rossi',
        birthdate: '2001-05-17', preferred_username: id, updated_at: 1700000000, email: `${id}@example.org`, email_verified: true,
      }),
    };
  },
  claims: Object.fromEntries(Object.entries(CLAIMS_BY_SCOPE).map(([scope, claims]) => [scope, [...claims]])),
  scopes: ['openid', 'offline_access', 'profile', 'email', 'phone'],
  conformIdTokenClaims: true,
  extraClientMetadata: { properties: ['first_party'] },
  cookies: {
    keys: [...config.cookieKeys],
    long: { httpOnly: true, sameSite: 'lax', signed: true },
    short: { httpOnly: true, sameSite: 'lax', signed: true },
  },
  pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
  ttl: {
    AccessToken: config.accessTokenTtlSeconds,
    AuthorizationCode: config.authorizationCodeTtlSeconds,
    ClientCredentials: config.accessTokenTtlSeconds,
    IdToken: config.idTokenTtlSeconds,
    RefreshToken: config.refreshTokenTtlSeconds,
    Interaction: config.interactionTtlSeconds,
    Session: config.sessionTtlSeconds,
    Grant: config.refreshTokenTtlSeconds,
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      getResourceServerInfo(_ctx, indicator, client) {
        const api = Object.hasOwn(config.resourceServers, indicator) ? config.resourceServers[indicator] : undefined;
        if (!api || (api.clients && !api.clients.includes(client.clientId))) throw new errors.InvalidTarget();
        return { scope: api.scope, audience: api.audience ?? indicator, accessTokenTTL: config.accessTokenTtlSeconds, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
      },
    },
  },
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId ?? session!.grantIdFor(client!.clientId);
    let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    if (!client!['first_party']) return grant;
    grant ??= new ctx.oidc.provider.Grant({ clientId: client!.clientId, accountId: session!.accountId! });
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
    const claims = [...ctx.oidc.requestParamClaims];
    if (claims.length) grant.addOIDCClaims(claims);
    await grant.save();
    return grant;
  },
};

const server = createServer();
await new Promise<void>((ok) => server.listen(config.port, '127.0.0.1', ok));
const { port } = server.address() as AddressInfo;
const provider = new Provider(config.issuer ?? `http://127.0.0.1:${port}`, configuration);

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
async function readForm(req: NodeJS.ReadableStream): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return new URLSearchParams(body);
}

// The minimal interaction: a login form, and a POST that spends one argon2id verification.
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET' && !match[2]) {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Sign in</title><form method="post" action="/interaction/${escape(details.uid)}/login">`
      + '<input name="login" autocomplete="username"><input type="password" name="password"><button>Sign in</button></form>';
    return;
  }
  if (ctx.method === 'POST' && match[2]) {
    const form = await readForm(ctx.req);
    const login = form.get('login') ?? '';
    // Bare has no accounts: the verification costs what Porta's does; its answer is not used.
    await argon2.verify(storedHash, form.get('password') ?? '');
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
    return;
  }
  return next();
});

server.on('request', provider.callback());
process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` });
process.on('SIGTERM', () => server.close(() => process.exit(0)));
