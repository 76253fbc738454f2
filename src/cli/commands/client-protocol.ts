/**
 * The protocol options of `porta clients add|update`: how a service authenticates, which grants and
 * response types it uses, back-channel logout, pairwise subjects, PAR and DPoP. Each option sets one
 * field of the client metadata, checked by the same rules as the clients file (src/clients.ts).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClientMetadata } from 'oidc-provider';
import { CLIENT_AUTH_METHODS, GRANT_TYPES, SUBJECT_TYPES } from '../../clients.js';
import { UsageError } from '../context.js';

export const PROTOCOL_OPTIONS = {
  'token-endpoint-auth-method': { type: 'string' },
  'jwks-uri': { type: 'string' },
  'jwks-file': { type: 'string' },
  'grant-type': { type: 'string', multiple: true },
  'response-type': { type: 'string', multiple: true },
  'backchannel-logout-uri': { type: 'string' },
  'subject-type': { type: 'string' },
  'sector-identifier-uri': { type: 'string' },
  'require-par': { type: 'boolean' },
  'no-require-par': { type: 'boolean' },
  'require-dpop': { type: 'boolean' },
  'no-require-dpop': { type: 'boolean' },
} as const;

export const PROTOCOL_HELP = `
Protocol (defaults: client_secret_basic, authorization_code and refresh_token, code, public subjects):
  --token-endpoint-auth-method M   client_secret_basic, client_secret_post, private_key_jwt (with
                                   --jwks-uri or --jwks-file) or none (a public client; PKCE is required);
                                   the service must authenticate this way and no other
  --jwks-uri URL                   where the service publishes its public keys (private_key_jwt, signed
                                   request objects)
  --jwks-file FILE                 a JSON Web Key Set file with the service's public keys, stored in Porta
  --grant-type G                   authorization_code, refresh_token, client_credentials or implicit
                                   (repeatable; replaces the list)
  --response-type T                code, or what RESPONSE_TYPES also offers (repeatable; replaces the list)
  --backchannel-logout-uri URL     Porta posts a logout token here when the person signs out
  --subject-type T                 public (one sub for every service) or pairwise (a sub of its own per
                                   sector: the redirect URIs' host, or --sector-identifier-uri)
  --sector-identifier-uri URL      https JSON list of the redirect URIs, for a pairwise service whose
                                   redirect URIs span several hosts (fetched when the client is checked)
  --require-par, --no-require-par  the service must push its authorization requests (PAR, RFC 9126)
  --require-dpop, --no-require-dpop
                                   its access tokens must be DPoP-bound (RFC 9449)
`;

type ProtocolValues = { [K in keyof typeof PROTOCOL_OPTIONS]?: (typeof PROTOCOL_OPTIONS)[K] extends { multiple: true } ? string[] : (typeof PROTOCOL_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

export const PROTOCOL_OPTION_NAMES = Object.keys(PROTOCOL_OPTIONS) as (keyof typeof PROTOCOL_OPTIONS)[];

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${option} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

function httpUrl(option: string, value: string, httpsOnly = false): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--${option} must be an absolute URL (got "${value}")`);
  }
  if (url.protocol !== 'https:' && (httpsOnly || url.protocol !== 'http:')) throw new UsageError(`--${option} must be an ${httpsOnly ? 'https' : 'http or https'} URL (got "${value}")`);
  return value;
}

function readJwks(path: string): { keys: unknown[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--jwks-file: cannot read ${path}: ${(err as Error).message}`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new UsageError(`--jwks-file: ${path} must hold a JSON Web Key Set ({"keys": [...]})`);
  return { keys };
}

/** --token-endpoint-auth-method, checked. */
export const authMethod = (value: string) => oneOf('token-endpoint-auth-method', value, CLIENT_AUTH_METHODS);

function both(v: ProtocolValues, name: 'require-par' | 'require-dpop'): void {
  if (v[name] && v[`no-${name}`]) throw new UsageError(`give --${name} or --no-${name}, not both`);
}

/**
 * Applies the protocol options to the metadata (in place). A change to a secret-based method gives the
 * client a new random secret, returned to be shown once; a change away from one drops the secret.
 */
export function applyProtocolOptions(metadata: ClientMetadata, v: ProtocolValues): { generatedSecret?: string } {
  both(v, 'require-par');
  both(v, 'require-dpop');
  if (v['jwks-uri'] !== undefined && v['jwks-file'] !== undefined) throw new UsageError('give --jwks-uri or --jwks-file, not both');
  if (v['jwks-uri'] !== undefined) {
    metadata.jwks_uri = httpUrl('jwks-uri', v['jwks-uri']);
    delete metadata.jwks;
  }
  if (v['jwks-file'] !== undefined) {
    metadata.jwks = readJwks(v['jwks-file']) as ClientMetadata['jwks'];
    delete metadata.jwks_uri;
  }
  if (v['grant-type']) metadata.grant_types = [...new Set(v['grant-type'].map((g) => oneOf('grant-type', g, GRANT_TYPES)))];
  // Judged against RESPONSE_TYPES by oidc-provider (validateWithProvider).
  if (v['response-type']) metadata.response_types = [...new Set(v['response-type'])] as ClientMetadata['response_types'];
  if (v['backchannel-logout-uri'] !== undefined) metadata.backchannel_logout_uri = httpUrl('backchannel-logout-uri', v['backchannel-logout-uri']);
  if (v['subject-type'] !== undefined) metadata.subject_type = oneOf('subject-type', v['subject-type'], SUBJECT_TYPES);
  if (v['sector-identifier-uri'] !== undefined) metadata.sector_identifier_uri = httpUrl('sector-identifier-uri', v['sector-identifier-uri'], true);
  if (v['require-par'] || v['no-require-par']) metadata.require_pushed_authorization_requests = Boolean(v['require-par']);
  if (v['require-dpop'] || v['no-require-dpop']) metadata.dpop_bound_access_tokens = Boolean(v['require-dpop']);

  let generatedSecret: string | undefined;
  if (v['token-endpoint-auth-method'] !== undefined) {
    const method = authMethod(v['token-endpoint-auth-method']);
    const hadSecret = typeof metadata.client_secret === 'string';
    metadata.token_endpoint_auth_method = method;
    if (method === 'client_secret_basic' || method === 'client_secret_post') {
      if (!hadSecret) metadata.client_secret = generatedSecret = randomBytes(32).toString('base64url');
    } else {
      delete metadata.client_secret;
    }
  }
  // A client that never sends anyone to the sign-in page needs no redirect URI and no response type.
  if (v['grant-type'] && !metadata.grant_types!.some((g) => g === 'authorization_code' || g === 'implicit') && !v['response-type']) metadata.response_types = [];
  return { generatedSecret };
}
