/**
 * `porta clients add|list|show|update|remove|rotate-secret`: relying services kept in the database, beside
 * those in the clients file, with their access policy (allowed user types, first-login access code).
 */
import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { resolve } from 'node:path';
import type { ClientMetadata } from 'oidc-provider';
import { DEVELOPMENT_SECRET_PREFIX } from '../../../config/schema.js';
import { USER_TYPES, type UserType } from '../../accounts/account.js';
import { clientProblems, loadClientsFile, MIN_PRODUCTION_SECRET, weakSecretProblem } from '../../clients.js';
import { fromRoot } from '../../paths.js';
import { clientPolicy } from '../../policy/client-policy.js';
import { revokeDisallowedGrants } from '../../policy/grants.js';
import type { Services } from '../../services.js';
import { SIGNING_ALGS, type SigningAlg } from '../../storage/signing-keys.js';
import { parse, required } from '../args.js';
import { applyProtocolOptions, authMethod, PROTOCOL_HELP, PROTOCOL_OPTION_NAMES, PROTOCOL_OPTIONS } from './client-protocol.js';
import { UsageError, type Command, type Context } from '../context.js';
import { cell, printJson, printTable } from '../output.js';

const CLIENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

type Source = 'file' | 'database';
interface ListedClient { metadata: ClientMetadata; source: Source }

function clientsFilePath(ctx: Context): string {
  const { clientsFile } = ctx.config();
  // Resolved like the server does, so both read the same file.
  return clientsFile ? resolve(fromRoot(), clientsFile) : '';
}

function fileClients(ctx: Context): ClientMetadata[] {
  return loadClientsFile(clientsFilePath(ctx), ctx.config().nodeEnv === 'production');
}

async function databaseClients(s: Services): Promise<ClientMetadata[]> {
  const rows = (await s.db('clients').orderBy('client_id').select('metadata')) as { metadata: string }[];
  return rows.map((r) => JSON.parse(r.metadata) as ClientMetadata);
}

function checkRedirectUri(uri: string, option: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new UsageError(`--${option} must be an absolute URL (got "${uri}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--${option} must be an http or https URL (got "${uri}")`);
  if (uri.includes('#')) throw new UsageError(`--${option} must not contain a #fragment (got "${uri}")`);
}

function checkSecret(secret: string, production: boolean): void {
  const weak = production ? weakSecretProblem(secret) : undefined;
  if (weak) throw new UsageError(`production refuses ${weak}; leave out --secret to have a strong one generated`);
}

/** A key per algorithm the server signs with: oidc-provider checks client algorithms against its keys. */
function throwawayKeys(): { keys: JsonWebKey[] } {
  const generate = (alg: SigningAlg) => (alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 })).privateKey.export({ format: 'jwk' });
  return { keys: SIGNING_ALGS.map((alg) => ({ ...generate(alg), kid: `validation-${alg}`, alg, use: 'sig' })) };
}

/**
 * Lets oidc-provider, configured as the server configures it, judge the metadata, so a client it would
 * reject at sign-in time never lands in the table. Loaded lazily: only this command needs it.
 */
async function validateWithProvider(s: Services, metadata: ClientMetadata): Promise<void> {
  const { createProvider } = await import('../../provider.js');
  // Throwaway keys: the real ones are not needed to judge metadata (and may be encrypted).
  const provider = createProvider(s, s.config.issuer ?? 'http://localhost', throwawayKeys(), [metadata]);
  try {
    await provider.Client.find(metadata.client_id);
  } catch (err) {
    // oidc-provider's metadata errors carry an error_description; anything else is not the input's fault.
    const description = (err as { error_description?: unknown }).error_description;
    if (typeof description !== 'string') throw err;
    throw new UsageError(`invalid client: ${description}`);
  }
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

const duplicate = (id: string, where: string) => new UsageError(`client id "${id}" is already in use (${where})`);

const ADD_OPTIONS = {
  id: { type: 'string' },
  secret: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  'first-party': { type: 'boolean' },
  name: { type: 'string' },
  public: { type: 'boolean' },
  'allowed-user-types': { type: 'string' },
  'allowed-idps': { type: 'string' },
  'require-access-code': { type: 'boolean' },
  'require-2fa': { type: 'boolean' },
  'pkce-optional': { type: 'boolean' },
  ...PROTOCOL_OPTIONS,
} as const;

/** Comma-separated institution entityIDs → the list; `all` → undefined (every institution of the federation file). */
function checkedIdps(value: string): string[] | undefined {
  if (value.trim() === 'all') return undefined;
  const idps = value.split(',').map((i) => i.trim()).filter(Boolean);
  if (!idps.length || idps.some((i) => i.length > 1024) || new Set(idps).size !== idps.length) {
    throw new UsageError(`--allowed-idps must be "all" or a comma-separated list of distinct institution entityIDs (got "${value}")`);
  }
  return idps;
}

/** `internal,external` → the list; `all` → undefined (everyone). */
function checkedUserTypes(value: string): UserType[] | undefined {
  if (value.trim() === 'all') return undefined;
  const types = value.split(',').map((t) => t.trim()).filter(Boolean);
  const wrong = types.filter((t) => !(USER_TYPES as readonly string[]).includes(t));
  if (!types.length || wrong.length || new Set(types).size !== types.length) {
    throw new UsageError(`--allowed-user-types must be "all" or a comma-separated list of distinct ${USER_TYPES.join(', ')} (got "${value}")`);
  }
  return types as UserType[];
}

/** The rules the clients file is held to (src/clients.ts). */
function checkClient(metadata: ClientMetadata): void {
  const problems = clientProblems(metadata);
  if (problems.length) throw new UsageError(`invalid client: ${problems.join('; ')}`);
}

export const clientsAdd: Command = {
  name: 'clients add',
  summary: 'Register a relying service in the database',
  help: `Usage: porta clients add --id ID --redirect-uri URI [--secret SECRET] [options]

Registers a relying service (an OIDC client) in the database. It can sign people in at once; no restart.

Options:
  --id ID                          client_id: 1-128 letters, digits, '.', '_' or '-'
  --secret SECRET                  client secret; without it a strong random one is generated and
                                   printed once (in production at least ${MIN_PRODUCTION_SECRET} characters and not a
                                   "${DEVELOPMENT_SECRET_PREFIX}" example; a production server refuses weaker ones)
  --redirect-uri URI               where sign-ins return; absolute http(s), no #fragment (repeatable)
  --post-logout-redirect-uri URI   where sign-outs may return (repeatable)
  --name NAME                      name shown to people on the sign-in and consent pages
  --first-party                    one of the university's own services: no consent page
  --public                         no secret (token_endpoint_auth_method none; PKCE is required)
  --allowed-user-types LIST        only these user types may sign in, e.g. internal or internal,federated
  --allowed-idps LIST              only these institutions (comma-separated entityIDs) for federated sign-in
                                   (default: all; the others see "not available" and the service gets
                                   access_denied)
  --require-access-code            ask for a one-time code from the helpdesk at each person's first
                                   sign-in (porta access-codes issue)
  --require-2fa                    every sign-in to it needs a second factor (authenticator app); an
                                   SSO session made with the password alone is stepped up
  --pkce-optional                  a legacy confidential service that cannot send PKCE (every other
                                   client must send an S256 code_challenge)
  --json                           print the stored client (without its secret) as JSON
  -h, --help                       show this help
${PROTOCOL_HELP}`,
  async run(args, ctx) {
    const v = parse(this.name, args, ADD_OPTIONS);
    const id = required(v.id, 'id');
    if (!CLIENT_ID_PATTERN.test(id)) throw new UsageError(`--id must be 1-128 letters, digits, '.', '_' or '-' (got "${id}")`);
    const redirectUris = v['redirect-uri'] ?? [];
    const signsPeopleIn = !v['grant-type'] || v['grant-type'].some((g) => g === 'authorization_code' || g === 'implicit');
    if (redirectUris.length === 0 && signsPeopleIn) throw new UsageError('--redirect-uri is required (give it once per URI)');
    redirectUris.forEach((u) => checkRedirectUri(u, 'redirect-uri'));
    const postLogoutUris = v['post-logout-redirect-uri'] ?? [];
    postLogoutUris.forEach((u) => checkRedirectUri(u, 'post-logout-redirect-uri'));
    const chosenMethod = v['token-endpoint-auth-method'];
    if (v.public && chosenMethod !== undefined && chosenMethod !== 'none') throw new UsageError('--public means --token-endpoint-auth-method none; give one of them');
    const method = v.public ? 'none' : authMethod(chosenMethod ?? 'client_secret_basic');
    const secretBased = method === 'client_secret_basic' || method === 'client_secret_post';
    if (v.public && v.secret !== undefined) throw new UsageError('a --public client has no secret; drop --secret');
    if (!secretBased && v.secret !== undefined) throw new UsageError(`a ${method} client has no secret; drop --secret`);
    if (v.secret !== undefined && !v.secret) throw new UsageError('--secret must not be empty (leave it out to have one generated)');
    if (v.secret) checkSecret(v.secret, ctx.config().nodeEnv === 'production');
    // The default: a secret nobody chose, shown once.
    const generated = !secretBased || v.secret ? undefined : randomBytes(32).toString('base64url');
    const secret = v.secret ?? generated;
    const allowedUserTypes = v['allowed-user-types'] === undefined ? undefined : checkedUserTypes(v['allowed-user-types']);
    const allowedIdps = v['allowed-idps'] === undefined ? undefined : checkedIdps(v['allowed-idps']);

    const metadata: ClientMetadata = {
      client_id: id,
      ...(v.name ? { client_name: v.name } : {}),
      ...(method === 'client_secret_basic' ? {} : { token_endpoint_auth_method: method }),
      ...(secretBased ? { client_secret: secret } : {}),
      redirect_uris: redirectUris,
      ...(postLogoutUris.length ? { post_logout_redirect_uris: postLogoutUris } : {}),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      first_party: Boolean(v['first-party']),
      ...(allowedUserTypes ? { allowed_user_types: allowedUserTypes } : {}),
      ...(allowedIdps ? { allowed_idps: allowedIdps } : {}),
      ...(v['require-access-code'] ? { require_access_code: true } : {}),
      ...(v['require-2fa'] ? { require_2fa: true } : {}),
      ...(v['pkce-optional'] ? { pkce_optional: true } : {}),
    };
    applyProtocolOptions(metadata, { ...v, 'token-endpoint-auth-method': undefined });
    checkClient(metadata);

    // The server looks in the file first, so a database client with the same id would never be found.
    if (fileClients(ctx).some((c) => c.client_id === id)) throw duplicate(id, 'in the clients file');
    const { services: s } = await ctx.open();
    await validateWithProvider(s, metadata);
    const now = ctx.clock.now();
    try {
      await s.db.transaction(async (trx) => {
        await trx('clients').insert({ client_id: id, metadata: JSON.stringify(metadata), created_at: now, updated_at: now });
        await s.audit.record({ action: 'client.added', actor: 'cli', clientId: id }, trx);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(id, 'in the database');
      throw err;
    }

    if (v.json) printJson(ctx.io.stdout, { ...describeClient({ metadata, source: 'database' }), ...(generated ? { client_secret: generated } : {}) });
    else {
      ctx.io.stdout.write(`added client ${id} (${[method === 'none' ? 'public' : 'confidential', ...policyWords(metadata)].join(', ')}); it can sign people in now\n`);
      if (generated) ctx.io.stdout.write(`its secret (shown only now; store it in the service's configuration):\n${generated}\n`);
    }
  },
};

/** "first party", "internal users only", "access code at first sign-in". */
function policyWords(m: ClientMetadata): string[] {
  const policy = clientPolicy(m);
  return [
    ...(m['first_party'] === true ? ['first party'] : []),
    ...(policy.allowedUserTypes ? [`${policy.allowedUserTypes.join(' and ')} users only`] : []),
    ...(policy.allowedIdps ? [`${policy.allowedIdps.length} institution${policy.allowedIdps.length === 1 ? '' : 's'} only`] : []),
    ...(policy.requireAccessCode ? ['access code at first sign-in'] : []),
    ...(policy.require2fa ? ['two-factor authentication'] : []),
    ...(m['pkce_optional'] === true ? ['PKCE optional'] : []),
  ];
}

/** What is shown of a client: never its secret. */
function describeClient({ metadata: m, source }: ListedClient) {
  return {
    client_id: m.client_id,
    client_name: m.client_name ?? null,
    source,
    type: m.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
    first_party: m['first_party'] === true,
    allowed_user_types: clientPolicy(m).allowedUserTypes ?? null,
    allowed_idps: clientPolicy(m).allowedIdps ?? null,
    require_access_code: clientPolicy(m).requireAccessCode,
    require_2fa: clientPolicy(m).require2fa,
    pkce_optional: m['pkce_optional'] === true,
    redirect_uris: m.redirect_uris ?? [],
    post_logout_redirect_uris: m.post_logout_redirect_uris ?? [],
    token_endpoint_auth_method: m.token_endpoint_auth_method ?? 'client_secret_basic',
    grant_types: m.grant_types ?? ['authorization_code'],
    response_types: m.response_types ?? ['code'],
    subject_type: m.subject_type ?? 'public',
    backchannel_logout_uri: m.backchannel_logout_uri ?? null,
    jwks_uri: m.jwks_uri ?? null,
    require_pushed_authorization_requests: m.require_pushed_authorization_requests === true,
    dpop_bound_access_tokens: m.dpop_bound_access_tokens === true,
  };
}

export const clientsList: Command = {
  name: 'clients list',
  summary: 'List relying services from the clients file and the database',
  help: `Usage: porta clients list [--json]

Lists every relying service: those in the clients file (CLIENTS_FILE) and those added with
"porta clients add" (database). Secrets are never shown.

Options:
  --json       print a JSON array
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, {});
    const fromFile = fileClients(ctx).map((metadata): ListedClient => ({ metadata, source: 'file' }));
    const { services } = await ctx.open();
    const fromDb = (await databaseClients(services)).map((metadata): ListedClient => ({ metadata, source: 'database' }));
    const clients = [...fromFile, ...fromDb].map(describeClient);
    if (v.json) return printJson(ctx.io.stdout, clients);
    if (clients.length === 0) return void ctx.io.stdout.write('no clients\n');
    printTable(ctx.io.stdout, ['ID', 'NAME', 'TYPE', 'FIRST PARTY', 'SOURCE', 'REDIRECT URIS'],
      clients.map((c) => [c.client_id, cell(c.client_name), c.type, c.first_party ? 'yes' : 'no', c.source, c.redirect_uris.join(' ')]));
  },
};

export const clientsRemove: Command = {
  name: 'clients remove',
  summary: 'Remove a relying service added with "clients add"',
  help: `Usage: porta clients remove --id ID [--json]

Removes a relying service from the database; it can no longer sign people in or use its tokens.
Services in the clients file are removed by editing that file and restarting Porta.

Options:
  --id ID      the client_id to remove
  --json       print {"removed": ID} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, { id: { type: 'string' } });
    const id = required(v.id, 'id');
    if (fileClients(ctx).some((c) => c.client_id === id)) {
      throw new UsageError(`client "${id}" comes from the clients file ${clientsFilePath(ctx)}; edit that file and restart Porta to remove it`);
    }
    const { services: s } = await ctx.open();
    const removed = await s.db.transaction(async (trx) => {
      const count = await trx('clients').where({ client_id: id }).delete();
      // A service added again under the same id asks for access codes afresh.
      if (count) await trx('access_grants').where({ client_id: id }).delete();
      if (count) await s.audit.record({ action: 'client.removed', actor: 'cli', clientId: id }, trx);
      return count;
    });
    if (!removed) throw new UsageError(`no client with id "${id}"`);
    if (v.json) printJson(ctx.io.stdout, { removed: id });
    else ctx.io.stdout.write(`removed client ${id}\n`);
  },
};

/** A client by id, from the clients file or the database. */
export async function findClient(ctx: Context, s: Services, id: string): Promise<ListedClient | undefined> {
  const fromFile = fileClients(ctx).find((c) => c.client_id === id);
  if (fromFile) return { metadata: fromFile, source: 'file' };
  const row = (await s.db('clients').where({ client_id: id }).first('metadata')) as { metadata: string } | undefined;
  return row ? { metadata: JSON.parse(row.metadata) as ClientMetadata, source: 'database' } : undefined;
}

/** A database client the command may change; the reason it may not otherwise. */
async function changeableClient(ctx: Context, s: Services, id: string, what: string): Promise<ClientMetadata> {
  if (fileClients(ctx).some((c) => c.client_id === id)) {
    throw new UsageError(`client "${id}" comes from the clients file ${clientsFilePath(ctx)}; ${what} by editing that file and restarting Porta`);
  }
  const found = await findClient(ctx, s, id);
  if (!found) throw new UsageError(`no client with id "${id}"`);
  return found.metadata;
}

export const clientsShow: Command = {
  name: 'clients show',
  summary: 'Show one relying service and its access policy',
  help: `Usage: porta clients show --id ID [--json]

Shows a relying service from the clients file or the database: type, redirect URIs, and who may sign
in to it (allowed user types, access code at the first sign-in, and how many people entered one).
Its secret is never shown.

Options:
  --id ID      the client_id
  --json       print a JSON object
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, { id: { type: 'string' } });
    const id = required(v.id, 'id');
    const { services: s } = await ctx.open();
    const found = await findClient(ctx, s, id);
    if (!found) throw new UsageError(`no client with id "${id}"`);
    const described = describeClient(found);
    const withAccess = Number(((await s.db('access_grants').where({ client_id: id }).count({ n: '*' }).first()) as { n: number | string }).n);
    const info = { ...described, people_with_access_code: described.require_access_code ? withAccess : undefined };
    if (v.json) return printJson(ctx.io.stdout, info);
    const rows: [string, string][] = [
      ['id', described.client_id], ['name', cell(described.client_name)], ['source', described.source], ['type', described.type],
      ['first party', described.first_party ? 'yes (no consent page)' : 'no (people are asked to consent)'],
      ['user types', described.allowed_user_types ? `${described.allowed_user_types.join(', ')} only` : 'all'],
      ['institutions', described.allowed_idps ? `${described.allowed_idps.join(', ')} only` : 'all of the federation file'],
      ['access code', described.require_access_code ? `asked at the first sign-in; ${withAccess} ${withAccess === 1 ? 'person has' : 'people have'} entered one` : 'not asked'],
      ['two-factor', described.require_2fa ? 'required at every sign-in' : 'not required (unless a request asks for it)'],
      ['PKCE', described.pkce_optional ? 'optional (legacy service)' : 'required (S256)'],
      ['authentication', described.token_endpoint_auth_method],
      ['grant types', described.grant_types.join(' ')],
      ['response types', described.response_types.length ? described.response_types.join(', ') : '-'],
      ['subject', described.subject_type],
      ['pushed requests', described.require_pushed_authorization_requests ? 'required (PAR)' : 'optional'],
      ['DPoP', described.dpop_bound_access_tokens ? 'required' : 'optional'],
      ['back-channel logout', described.backchannel_logout_uri ?? '-'],
      ['redirect URIs', described.redirect_uris.join(' ')],
      ['post-logout URIs', described.post_logout_redirect_uris.length ? described.post_logout_redirect_uris.join(' ') : '-'],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, value] of rows) ctx.io.stdout.write(`${k.padEnd(width)}  ${value}\n`);
  },
};

const UPDATE_OPTIONS = {
  id: { type: 'string' },
  name: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  'first-party': { type: 'boolean' },
  'no-first-party': { type: 'boolean' },
  'allowed-user-types': { type: 'string' },
  'allowed-idps': { type: 'string' },
  'require-access-code': { type: 'boolean' },
  'no-require-access-code': { type: 'boolean' },
  'require-2fa': { type: 'boolean' },
  'no-require-2fa': { type: 'boolean' },
  'pkce-optional': { type: 'boolean' },
  'no-pkce-optional': { type: 'boolean' },
  ...PROTOCOL_OPTIONS,
} as const;

export const clientsUpdate: Command = {
  name: 'clients update',
  summary: 'Change a relying service added with "clients add"',
  help: `Usage: porta clients update --id ID [options]

Changes a relying service in the database; the change applies to the next sign-in, without a restart.
People a tightened policy (user types, access code) no longer lets in are signed out of the service:
their refresh and access tokens stop working at once.
Only the options given change. Services in the clients file are changed by editing that file.

Options:
  --id ID                          the client_id to change
  --name NAME                      name shown to people
  --redirect-uri URI               replaces the redirect URIs (repeatable)
  --post-logout-redirect-uri URI   replaces the post-logout redirect URIs (repeatable)
  --first-party, --no-first-party  skip, or show, the consent page
  --allowed-user-types LIST        only these user types may sign in (e.g. internal), or "all"
  --allowed-idps LIST              only these institutions (comma-separated entityIDs), or "all"
  --require-access-code, --no-require-access-code
                                   ask, or stop asking, for an access code at the first sign-in
  --require-2fa, --no-require-2fa  require, or stop requiring, a second factor at every sign-in
  --pkce-optional, --no-pkce-optional
                                   exempt a legacy confidential service from PKCE, or require it again
  --json                           print the stored client (without its secret) as JSON
  -h, --help                       show this help
${PROTOCOL_HELP}`,
  async run(args, ctx) {
    const v = parse(this.name, args, UPDATE_OPTIONS);
    const id = required(v.id, 'id');
    if (v['first-party'] && v['no-first-party']) throw new UsageError('give --first-party or --no-first-party, not both');
    if (v['require-access-code'] && v['no-require-access-code']) throw new UsageError('give --require-access-code or --no-require-access-code, not both');
    if (v['require-2fa'] && v['no-require-2fa']) throw new UsageError('give --require-2fa or --no-require-2fa, not both');
    if (v['pkce-optional'] && v['no-pkce-optional']) throw new UsageError('give --pkce-optional or --no-pkce-optional, not both');
    (v['redirect-uri'] ?? []).forEach((u) => checkRedirectUri(u, 'redirect-uri'));
    (v['post-logout-redirect-uri'] ?? []).forEach((u) => checkRedirectUri(u, 'post-logout-redirect-uri'));
    if (v.name !== undefined && (!v.name.trim() || v.name.length > 100)) throw new UsageError('--name must be 1-100 characters');
    const types = v['allowed-user-types'] === undefined ? undefined : { value: checkedUserTypes(v['allowed-user-types']) };
    const idps = v['allowed-idps'] === undefined ? undefined : { value: checkedIdps(v['allowed-idps']) };
    const changes = ['name', 'redirect-uri', 'post-logout-redirect-uri', 'first-party', 'no-first-party', 'allowed-user-types', 'allowed-idps', 'require-access-code', 'no-require-access-code',
      'require-2fa', 'no-require-2fa', 'pkce-optional', 'no-pkce-optional', ...PROTOCOL_OPTION_NAMES].filter((k) => v[k as keyof typeof v] !== undefined);
    if (changes.length === 0) throw new UsageError('nothing to change: give at least one option (see porta clients update --help)');

    const { services: s } = await ctx.open();
    const metadata: ClientMetadata = { ...(await changeableClient(ctx, s, id, 'change it')) };
    if (v.name !== undefined) metadata.client_name = v.name.trim();
    if (v['redirect-uri']) metadata.redirect_uris = v['redirect-uri'];
    if (v['post-logout-redirect-uri']) metadata.post_logout_redirect_uris = v['post-logout-redirect-uri'];
    if (v['first-party'] || v['no-first-party']) metadata.first_party = Boolean(v['first-party']);
    if (types) {
      if (types.value) metadata.allowed_user_types = types.value;
      else delete metadata.allowed_user_types;
    }
    if (idps) {
      if (idps.value) metadata.allowed_idps = idps.value;
      else delete metadata.allowed_idps;
    }
    if (v['require-access-code']) metadata.require_access_code = true;
    if (v['no-require-access-code']) delete metadata.require_access_code;
    if (v['require-2fa']) metadata.require_2fa = true;
    if (v['no-require-2fa']) delete metadata.require_2fa;
    if (v['pkce-optional']) metadata.pkce_optional = true;
    if (v['no-pkce-optional']) delete metadata.pkce_optional;
    const { generatedSecret } = applyProtocolOptions(metadata, v);
    checkClient(metadata);
    await validateWithProvider(s, metadata);
    await s.db.transaction(async (trx) => {
      await trx('clients').where({ client_id: id }).update({ metadata: JSON.stringify(metadata), updated_at: ctx.clock.now() });
      await s.audit.record({ action: 'client.updated', actor: 'cli', clientId: id, details: { changed: changes } }, trx);
    });
    // People a tightened policy no longer lets in lose their grant (and its tokens) now, not at the next sign-in.
    const revoked = await revokeDisallowedGrants(s, id, metadata);
    if (revoked) await s.audit.record({ action: 'client.grants_revoked', actor: 'cli', clientId: id, details: { grants: revoked } });
    if (v.json) return printJson(ctx.io.stdout, { ...describeClient({ metadata, source: 'database' }), grants_revoked: revoked, ...(generatedSecret ? { client_secret: generatedSecret } : {}) });
    const words = policyWords(metadata);
    const ended = revoked ? `; signed ${revoked} ${revoked === 1 ? 'person' : 'people'} no longer allowed out of it (their tokens no longer work)` : '';
    ctx.io.stdout.write(`updated client ${id}${words.length ? ` (${words.join(', ')})` : ''}; it applies from the next sign-in${ended}\n`);
    if (generatedSecret) ctx.io.stdout.write(`its secret (shown only now; store it in the service's configuration):\n${generatedSecret}\n`);
  },
};

export const clientsRotateSecret: Command = {
  name: 'clients rotate-secret',
  summary: 'Give a relying service a new secret (printed once)',
  help: `Usage: porta clients rotate-secret --id ID [--json]

Generates a new random secret for a confidential service in the database and prints it once: store it
in the service's configuration now, it cannot be shown again. The old secret stops working at once.
Services in the clients file get a new secret by editing that file.

Options:
  --id ID      the client_id
  --json       print {"client_id", "client_secret"} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, { id: { type: 'string' } });
    const id = required(v.id, 'id');
    const { services: s } = await ctx.open();
    const metadata = await changeableClient(ctx, s, id, 'give it a new secret');
    if (metadata.token_endpoint_auth_method === 'none') throw new UsageError(`client "${id}" is public: it has no secret`);
    const secret = randomBytes(32).toString('base64url');
    await s.db.transaction(async (trx) => {
      await trx('clients').where({ client_id: id }).update({ metadata: JSON.stringify({ ...metadata, client_secret: secret }), updated_at: ctx.clock.now() });
      await s.audit.record({ action: 'client.secret_rotated', actor: 'cli', clientId: id }, trx);
    });
    if (v.json) return printJson(ctx.io.stdout, { client_id: id, client_secret: secret });
    ctx.io.stdout.write(`new secret for ${id} (shown only now; the old one no longer works):\n${secret}\n`);
  },
};
