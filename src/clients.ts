/**
 * Relying services from the clients file. Porta's own client metadata (beside the standard OIDC
 * fields): `first_party` (skips the consent page); the access policy (src/policy/): `allowed_user_types`
 * (who may sign in; absent: everyone) and `require_access_code` (a one-time code at the first sign-in);
 * `pkce_optional` (a legacy confidential service exempt from PKCE).
 */
import { readFileSync } from 'node:fs';
import type { ClientMetadata } from 'oidc-provider';
import { DEVELOPMENT_SECRET_PREFIX } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { clientPolicyProblems } from './policy/client-policy.js';

export const PORTA_CLIENT_METADATA = ['first_party', 'allowed_user_types', 'require_access_code', 'pkce_optional'] as const;

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
    const secret = c.client_secret;
    if (production && typeof secret === 'string' && (secret.startsWith(DEVELOPMENT_SECRET_PREFIX) || secret.length < 32)) {
      problems.push(`${where} (${c.client_id}): production refuses development or short client secrets (at least 32 characters)`);
    }
  });
  if (problems.length) throw new ConfigError(problems);
  return parsed as ClientMetadata[];
}
