/**
 * `porta federation list|show`: the institutions of the federation file; `rotate-sp-keys|sp-metadata`:
 * Porta's own keys and metadata as a SAML service provider.
 */
import { displayName, loadFederation, type FederatedIdp, type FederationRegistry } from '../../federation/registry.js';
import { spMetadata } from '../../federation/saml/sp-metadata.js';
import { parse } from '../args.js';
import { CliError, UsageError, type Command, type Context } from '../context.js';
import { printJson } from '../output.js';

export const federationRotateSpKeys: Command = {
  name: 'federation rotate-sp-keys',
  summary: 'Generate new SAML SP key pairs and certificates; the old ones stay published for a while',
  help: `Usage: porta federation rotate-sp-keys [--json]

Generates a new signing and a new encryption key pair, each with a self-signed certificate. Porta signs
its AuthnRequests with the new key at once. The old certificates stay in the SP metadata (and the old
encryption key still decrypts) for SAML_SP_KEY_OVERLAP_DAYS, while the federation and the IdPs refresh
their copy of the metadata; send the federation the new metadata (porta federation sp-metadata).

Options:
  --json       print {"created": [ids], "retired": [ids]} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, {});
    const { services } = await ctx.open();
    // Refuse early when KEYS_ENCRYPTION_SECRET cannot open the stored keys, as `porta keys rotate` does.
    await services.spKeys.privateKeys('signing').catch((err: unknown) => { throw new CliError((err as Error).message, 2); });
    const result = await services.spKeys.rotate();
    await services.audit.record({ action: 'federation.sp-keys-rotated', actor: 'cli', details: result });
    if (v.json) return printJson(ctx.io.stdout, result);
    const out = ctx.io.stdout;
    for (const id of result.created) out.write(`new key ${id}\n`);
    for (const id of result.retired) out.write(`retired ${id}\n`);
    out.write(`The retired certificates stay in the SAML metadata for ${services.config.samlSpKeyOverlapDays} days (SAML_SP_KEY_OVERLAP_DAYS). `
      + 'Send the new metadata (porta federation sp-metadata) to your federation now.\n');
  },
};

export const federationSpMetadata: Command = {
  name: 'federation sp-metadata',
  summary: 'Print Porta\'s SAML SP metadata (as served at /saml/metadata)',
  help: `Usage: porta federation sp-metadata

Prints the SAML service provider metadata, the same document GET /saml/metadata serves: entityID,
signing and encryption certificates, the assertion consumer service, names and logo, requested
attributes, entity categories and contacts. Keys are generated first if the server never started.

Options:
  -h, --help   show this help
`,
  async run(args, ctx) {
    parse(this.name, args, {});
    const config = ctx.config();
    if (!config.issuer && config.nodeEnv === 'production') throw new UsageError('ISSUER must be set: the metadata names Porta\'s public addresses');
    const issuer = config.issuer ?? `http://localhost:${config.port}`;
    const { services } = await ctx.open();
    await services.spKeys.ensure();
    ctx.io.stdout.write(spMetadata(services.config, issuer, await services.spKeys.published()));
  },
};

/** The federation file as the server would load it (ConfigError, exit code 2, when it is wrong). */
const registry = (ctx: Context): FederationRegistry => loadFederation(ctx.config());

const describeIdp = (idp: FederatedIdp) => idp.kind === 'saml'
  ? {
    entityId: idp.id, kind: idp.kind, displayNames: idp.displayNames, ssoRedirectUrl: idp.saml.ssoRedirectUrl,
    scopes: idp.saml.scopes, signingCertificates: idp.saml.signingCertificates.length, trustEmailVerified: idp.trustEmailVerified,
    eppnNeverReassigned: idp.facts.eppnNeverReassigned, source: idp.source,
  }
  // Never the client secret or the private key: only which of the two authenticates Porta.
  : {
    entityId: idp.id, kind: idp.kind, displayNames: idp.displayNames, clientId: idp.oidc.clientId,
    clientAuthentication: idp.oidc.clientSecret !== undefined ? 'client_secret_basic' : 'private_key_jwt',
    scopes: idp.oidc.scopes, claims: idp.oidc.claims, trustEmailVerified: idp.trustEmailVerified, source: idp.source,
  };

export const federationList: Command = {
  name: 'federation list',
  summary: 'List the institutions people may sign in with (FEDERATION_FILE)',
  help: `Usage: porta federation list [--json]

Reads and checks the federation file (FEDERATION_FILE) as the server does at start, and lists its
institutions: entityID (or OIDC issuer) and English name, sorted by name. A wrong file is reported entry by entry (exit 2).

Options:
  --json       print the institutions as a JSON array
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, {});
    const idps = registry(ctx).all();
    if (v.json) return printJson(ctx.io.stdout, idps.map(describeIdp));
    if (idps.length === 0) return void ctx.io.stdout.write('No institutions (FEDERATION_FILE lists none).\n');
    for (const idp of idps) ctx.io.stdout.write(`${idp.id}  ${displayName(idp, 'en')}\n`);
  },
};

export const federationShow: Command = {
  name: 'federation show',
  summary: 'Show one institution of the federation file',
  help: `Usage: porta federation show --entity-id ENTITYID [--json]

Shows what Porta uses of an institution: for a SAML IdP its names, single sign-on address, scopes
(shibmd:Scope), number of signing certificates and the metadata file it came from; for an OIDC institution
its names, client id, kind of client authentication (never the secret), scopes and claim mapping; and
whether its mail counts as verified.

Options:
  --entity-id ENTITYID   the institution's SAML entityID or OIDC issuer
  --json                 print it as a JSON object
  -h, --help             show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, { 'entity-id': { type: 'string' } });
    const entityId = v['entity-id'];
    if (!entityId) throw new UsageError('--entity-id is required (see porta federation show --help)');
    const idp = registry(ctx).find(entityId);
    if (!idp) throw new CliError(`no institution with entityID "${entityId}" in the federation file`, 1);
    const d = describeIdp(idp);
    if (v.json) return printJson(ctx.io.stdout, d);
    const out = ctx.io.stdout;
    out.write(`entityID              ${d.entityId}\n`);
    for (const [lang, name] of Object.entries(d.displayNames)) out.write(`${`name (${lang})`.padEnd(22)}${name}\n`);
    if (d.kind === 'saml') {
      out.write(`single sign-on        ${d.ssoRedirectUrl}\n`);
      out.write(`scopes                ${d.scopes.join(', ') || '(none)'}\n`);
      out.write(`signing certificates  ${d.signingCertificates}\n`);
    } else {
      out.write(`kind                  OpenID Connect\n`);
      out.write(`client id             ${d.clientId}\n`);
      out.write(`client authentication ${d.clientAuthentication}\n`);
      out.write(`scopes                ${d.scopes}\n`);
      out.write(`claims                ${Object.entries(d.claims).filter(([from, to]) => from !== to).map(([from, to]) => `${from} → ${to}`).join(', ') || '(the standard names)'}\n`);
    }
    out.write(`mail verified         ${d.trustEmailVerified ? 'yes' : 'no'}\n`);
    if (d.kind === 'saml') out.write(`eppn never reassigned ${d.eppnNeverReassigned ? 'yes' : 'no'}\n`);
    out.write(`${d.kind === 'saml' ? 'metadata    ' : 'file        '}          ${d.source}\n`);
  },
};
