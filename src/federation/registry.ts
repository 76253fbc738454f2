/**
 * The institutions people may sign in with: the federation file (FEDERATION_FILE) read and validated at
 * start, every bad entry listed at once, like the clients file. Entities are indexed by entityID in a Map,
 * so a lookup costs the same for three IdPs or for an eduGAIN aggregate of thousands (issue 16 adds signed
 * metadata sources that fill the same registry).
 *
 * File format: {"saml": [{"metadata": "idp.xml", "displayNames": {"en": "…", "it": "…"},
 * "trustEmailVerified": false, "eppnNeverReassigned": false}], "oidc": [{"issuer": "https://…",
 * "clientId": "…", "clientSecret": "…" | "privateKeyJwk": "key.json" | {JWK}, "scopes": "openid email profile",
 * "displayNames": {…}, "trustEmailVerified": false, "claims": {"upstream_claim": "porta_claim"}}]}.
 * Paths are relative to the file. Both kinds share one index: an OIDC upstream's id is its issuer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../config/load.js';
import { DEFAULT_FEDERATION_FILE, type Config } from '../../config/schema.js';
import { fromRoot } from '../paths.js';
import type { IdpFacts } from './attributes.js';
import { parseOidcUpstream, type OidcUpstream } from './oidc/upstream.js';
import { MetadataError, parseIdpMetadata, type SamlIdp } from './saml/idp-metadata.js';

interface IdpCommon {
  /** entityID (SAML) or issuer (OIDC): what idp_hint, allowed_idps and the `idp` claim name. */
  id: string;
  /** mdui:DisplayName by language, overridden by the file's displayNames. */
  displayNames: Record<string, string>;
  /** The institution's mail counts as verified (email_verified: true). */
  trustEmailVerified: boolean;
  facts: IdpFacts;
  /** Where it came from (shown by `porta federation show`). */
  source: string;
  /** mdui:Keywords by language, for the discovery page's search. */
  keywords?: Record<string, string[]>;
  /** A logo Porta may show: a data: URI or a path on Porta itself, never a third party's URL (CSP, privacy). */
  logo?: string;
  /** REFEDS hide-from-discovery: left off the institution list, still usable through idp_hint. */
  hiddenFromDiscovery?: boolean;
}

export type FederatedIdp = IdpCommon & ({ kind: 'saml'; saml: SamlIdp } | { kind: 'oidc'; oidc: OidcUpstream });
export type SamlFederatedIdp = Extract<FederatedIdp, { kind: 'saml' }>;

const MAX_METADATA_BYTES = 50 * 1024 * 1024;

const entrySchema = z.strictObject({
  metadata: z.string().min(1, 'metadata: the path of a SAML metadata file'),
  displayNames: z.strictObject({ en: z.string().min(1).max(200).optional(), it: z.string().min(1).max(200).optional() }).optional(),
  trustEmailVerified: z.boolean().optional(),
  eppnNeverReassigned: z.boolean().optional(),
});
const fileSchema = z.strictObject({ saml: z.array(z.unknown()).optional(), oidc: z.array(z.unknown()).optional() });

export class FederationRegistry {
  private readonly byEntityId = new Map<string, FederatedIdp>();
  /** Grows whenever the set of institutions changes, so derived indexes (the discovery search) know to rebuild. */
  revision = 0;

  constructor(idps: Iterable<FederatedIdp> = []) {
    for (const idp of idps) this.byEntityId.set(idp.id, idp);
  }

  get size(): number { return this.byEntityId.size; }

  find(entityId: unknown): FederatedIdp | undefined {
    return typeof entityId === 'string' ? this.byEntityId.get(entityId) : undefined;
  }

  /** Every institution, sorted by English name (the list on the sign-in page and `porta federation list`). */
  all(): FederatedIdp[] {
    return [...this.byEntityId.values()].sort((a, b) => displayName(a, 'en').localeCompare(displayName(b, 'en')));
  }
}

/** The institution's name in a language: the file's override, its metadata's mdui, English, or the entityID. */
export function displayName(idp: FederatedIdp, locale: string): string {
  return idp.displayNames[locale] ?? idp.displayNames.en ?? Object.values(idp.displayNames)[0] ?? idp.id;
}

/** The federation file of the configuration (FEDERATION_FILE, relative to the project root). */
export function loadFederation(config: Pick<Config, 'federationFile'>): FederationRegistry {
  return loadFederationFile(config.federationFile ? resolve(fromRoot(), config.federationFile) : '', config.federationFile);
}

/** Reads and checks the federation file; `path` is FEDERATION_FILE resolved. Throws ConfigError listing every problem. */
export function loadFederationFile(path: string, setting: string): FederationRegistry {
  if (!path || (setting === DEFAULT_FEDERATION_FILE && !existsSync(path))) return new FederationRegistry();
  const where = `FEDERATION_FILE: ${path}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError([`${where}: cannot read: ${(err as Error).message}`]);
  }
  const file = fileSchema.safeParse(parsed);
  if (!file.success) throw new ConfigError([`${where}: must hold a JSON object {"saml": [...], "oidc": [...]} (${file.error.issues.map((i) => i.message).join('; ')})`]);
  const problems: string[] = [];
  const idps: FederatedIdp[] = [];
  const seen = new Map<string, number>();
  (file.data.saml ?? []).forEach((raw, i) => {
    const at = `${where} saml #${i + 1}`;
    const entry = entrySchema.safeParse(raw);
    if (!entry.success) {
      problems.push(...entry.error.issues.map((issue) => `${at}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`));
      return;
    }
    const metadataPath = resolve(dirname(path), entry.data.metadata);
    let found: SamlIdp[];
    try {
      const xml = readFileSync(metadataPath, 'utf8');
      if (xml.length > MAX_METADATA_BYTES) throw new MetadataError('metadata file is larger than 50 MB');
      found = parseIdpMetadata(xml);
    } catch (err) {
      problems.push(`${at}: ${metadataPath}: ${err instanceof MetadataError ? err.message : `cannot read: ${(err as Error).message}`}`);
      return;
    }
    if (found.length === 0) problems.push(`${at}: ${metadataPath}: no SAML2 IdP with an HTTP-Redirect SingleSignOnService and a signing certificate`);
    for (const saml of found) {
      const before = seen.get(saml.entityId);
      if (before !== undefined) problems.push(`${at}: ${saml.entityId} is already listed by saml #${before}`);
      seen.set(saml.entityId, i + 1);
      idps.push({
        kind: 'saml', id: saml.entityId, saml, source: metadataPath,
        displayNames: { ...saml.displayNames, ...entry.data.displayNames },
        trustEmailVerified: entry.data.trustEmailVerified ?? false,
        facts: { scopes: saml.scopes, eppnNeverReassigned: entry.data.eppnNeverReassigned ?? false },
      });
    }
  });
  (file.data.oidc ?? []).forEach((raw, i) => {
    const at = `${where} oidc #${i + 1}`;
    const upstream = parseOidcUpstream(raw, dirname(path), (problem) => problems.push(`${at}: ${problem}`));
    if (!upstream) return;
    const before = seen.get(upstream.issuer);
    if (before !== undefined) problems.push(`${at}: ${upstream.issuer} is already listed`);
    seen.set(upstream.issuer, i + 1);
    idps.push({
      kind: 'oidc', id: upstream.issuer, oidc: upstream, source: path, displayNames: upstream.displayNames,
      trustEmailVerified: upstream.trustEmailVerified, facts: { scopes: [], eppnNeverReassigned: false },
    });
  });
  if (problems.length) throw new ConfigError(problems);
  return new FederationRegistry(idps);
}
