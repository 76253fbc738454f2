/**
 * Relying services from the clients file (the CLI's `porta clients add|update` checks the same rules,
 * clientProblems, and both are then judged by oidc-provider itself). Porta's own client metadata (beside the standard OIDC
 * fields): `first_party` (skips the consent page); the access policy (src/policy/): `allowed_user_types`
 * (who may sign in; absent: everyone), `allowed_idps` (the only institutions a federated person may come
 * from; absent: all), `require_access_code` (a one-time code at the first sign-in) and
 * `require_2fa` (a second factor at every sign-in);
 * `pkce_optional` (a legacy confidential service exempt from PKCE).
 */
import { readFileSync } from 'node:fs';
import type { ClientMetadata } from 'oidc-provider';
import { DEVELOPMENT_SECRET_PREFIX } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { clientPolicyProblems } from './policy/client-policy.js';

export const PORTA_CLIENT_METADATA = ['first_party', 'allowed_user_types', 'allowed_idps', 'require_access_code', 'require_2fa', 'pkce_optional'] as const;

/** How a client may authenticate at the token endpoint (and introspection, revocation, PAR). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'implicit'] as const;
export const SUBJECT_TYPES = ['public', 'pairwise'] as const;

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/** What Porta refuses in a client's protocol metadata, beyond what oidc-provider checks (empty when nothing). */
export function clientProtocolProblems(c: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const method = c.token_endpoint_auth_method ?? 'client_secret_basic';
  const oneOf = (name: string, value: unknown, allowed: readonly string[]) => {
    if (value !== undefined && !allowed.includes(value as string)) problems.push(`${name} must be one of ${allowed.join(', ')}`);
  };
  oneOf('token_endpoint_auth_method', c.token_endpoint_auth_method, CLIENT_AUTH_METHODS);
  oneOf('subject_type', c.subject_type, SUBJECT_TYPES);
  if (c.grant_types !== undefined && (!Array.isArray(c.grant_types) || c.grant_types.some((g) => !(GRANT_TYPES as readonly unknown[]).includes(g)))) {
    problems.push(`grant_types must be a list out of ${GRANT_TYPES.join(', ')}`);
  }
  if (method === 'none' && c.client_secret !== undefined) problems.push('a public client (token_endpoint_auth_method none) has no client_secret');
  if (method === 'private_key_jwt' && c.jwks === undefined && c.jwks_uri === undefined) problems.push('private_key_jwt needs the client\'s public keys: jwks or jwks_uri');
  const keys = (c.jwks as { keys?: unknown } | undefined)?.keys;
  if (Array.isArray(keys) && keys.some((k) => k && typeof k === 'object' && PRIVATE_JWK_MEMBERS.some((m) => m in k))) {
    problems.push('jwks must hold only public keys (a private or symmetric key belongs with the service, not with Porta)');
  }
  return problems;
}

/** Every rule Porta has for a client's metadata: protocol and access policy. */
export function clientProblems(c: Record<string, unknown>): string[] {
  return [...clientProtocolProblems(c), ...clientPolicyProblems(c)];
}

/** Shortest client secret production accepts. */
export const MIN_PRODUCTION_SECRET = 32;

/** Why production refuses a client secret (a shipped example, or too short to resist guessing), or undefined. */
export function weakSecretProblem(secret: unknown): string | undefined {
  if (typeof secret !== 'string') return undefined;
  if (secret.startsWith(DEVELOPMENT_SECRET_PREFIX)) return `a development example secret (starts with "${DEVELOPMENT_SECRET_PREFIX}")`;
  if (secret.length < MIN_PRODUCTION_SECRET) return `a secret shorter than ${MIN_PRODUCTION_SECRET} characters`;
  return undefined;
}

export function loadClientsFile(path: string, production: boolean): ClientMetadata[] {
  if (!path) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError([`CLIENTS_FILE: cannot read ${path}: ${(err as Error).message}`]);
  }
  if (!Array.isArray(parsed)) throw new ConfigError([`CLIENTS_FILE: ${path} must hold a JSON array of clients`]);
  const problems: string[] = [];
  const ids = new Set<string>();
  parsed.forEach((c: Record<string, unknown>, i) => {
    const where = `CLIENTS_FILE: ${path} client #${i + 1}`;
    if (!c || typeof c !== 'object' || typeof c.client_id !== 'string' || !c.client_id) { problems.push(`${where}: needs a client_id`); return; }
    if (ids.has(c.client_id)) problems.push(`${where}: duplicate client_id "${c.client_id}"`);
    ids.add(c.client_id);
    const signsPeopleIn = !Array.isArray(c.grant_types) || c.grant_types.some((g) => g === 'authorization_code' || g === 'implicit');
    if (signsPeopleIn && (!Array.isArray(c.redirect_uris) || c.redirect_uris.length === 0)) problems.push(`${where} (${c.client_id}): needs redirect_uris`);
    for (const problem of clientProblems(c)) problems.push(`${where} (${c.client_id}): ${problem}`);
    const weak = production ? weakSecretProblem(c.client_secret) : undefined;
    if (weak) problems.push(`${where} (${c.client_id}): production refuses ${weak}`);
  });
  if (problems.length) throw new ConfigError(problems);
  return parsed as ClientMetadata[];
}
