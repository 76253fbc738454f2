/**
 * Relying services from the clients file. Porta's own client metadata (beside the standard OIDC
 * fields): `first_party` (skips the consent page); the access policy (src/policy/): `allowed_user_types`
 * (who may sign in; absent: everyone), `require_access_code` (a one-time code at the first sign-in) and
 * `require_2fa` (a second factor at every sign-in);
 * `pkce_optional` (a legacy confidential service exempt from PKCE).
 */
import { readFileSync } from 'node:fs';
import type { ClientMetadata } from 'oidc-provider';
import { DEVELOPMENT_SECRET_PREFIX } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { clientPolicyProblems } from './policy/client-policy.js';

export const PORTA_CLIENT_METADATA = ['first_party', 'allowed_user_types', 'require_access_code', 'require_2fa', 'pkce_optional'] as const;

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
    if (!Array.isArray(c.redirect_uris) || c.redirect_uris.length === 0) problems.push(`${where} (${c.client_id}): needs redirect_uris`);
    for (const problem of clientPolicyProblems(c)) problems.push(`${where} (${c.client_id}): ${problem}`);
    const weak = production ? weakSecretProblem(c.client_secret) : undefined;
    if (weak) problems.push(`${where} (${c.client_id}): production refuses ${weak}`);
  });
  if (problems.length) throw new ConfigError(problems);
  return parsed as ClientMetadata[];
}
