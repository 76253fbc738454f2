/** `porta federation rotate-sp-keys|sp-metadata`: Porta's own keys and metadata as a SAML service provider. */
import { spMetadata } from '../../federation/saml/sp-metadata.js';
import { parse } from '../args.js';
import { CliError, UsageError, type Command } from '../context.js';
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
