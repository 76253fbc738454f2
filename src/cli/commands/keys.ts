/** `porta keys list|rotate`: the signing keys the server loads at start. */
import { keyRetentionMs } from '../../services.js';
import { parse } from '../args.js';
import { CliError, type Command } from '../context.js';
import { cell, isoTime, printJson, printTable } from '../output.js';

export const keysList: Command = {
  name: 'keys list',
  summary: 'List signing keys and their state',
  help: `Usage: porta keys list [--json]

Lists the signing keys, newest first. active: signs tokens; retired: no longer signs but is still
published at /jwks until the tokens it signed have expired; expired: about to be deleted.
Porta generates its first keys when the server first starts.

Options:
  --json       print a JSON array
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, {});
    const { services } = await ctx.open();
    const keys = (await services.keys.list()).map((k) => ({ kid: k.kid, alg: k.alg, state: k.state, created_at: isoTime(k.createdAt), retired_at: isoTime(k.retiredAt) }));
    if (v.json) return printJson(ctx.io.stdout, keys);
    if (keys.length === 0) return void ctx.io.stdout.write('no signing keys yet: the server generates them when it first starts\n');
    printTable(ctx.io.stdout, ['KID', 'ALG', 'STATE', 'CREATED', 'RETIRED'], keys.map((k) => [k.kid, k.alg, k.state, k.created_at!, cell(k.retired_at)]));
  },
};

export const keysRotate: Command = {
  name: 'keys rotate',
  summary: 'Generate new signing keys and retire the current ones',
  help: `Usage: porta keys rotate [--json]

Generates a new signing key per algorithm and retires the active ones. Every running instance reads
the keys from the database every KEYS_REFRESH_SECONDS and then signs with the new ones, without a
restart (with KEYS_REFRESH_SECONDS=0, restart every instance). Retired keys stay published at /jwks
until the tokens they signed have expired.

Options:
  --json       print {"created": [kids], "retired": [kids]} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, {});
    const { services } = await ctx.open();
    // Refuse early when KEYS_ENCRYPTION_SECRET cannot open the stored keys: new keys sealed with another
    // secret would leave a key set no instance can load.
    await services.keys.jwks().catch((err: unknown) => { throw new CliError((err as Error).message, 2); });
    const before = await services.keys.list();
    const created = await services.keys.rotate();
    await services.audit.record({ action: 'keys.rotated', actor: 'cli', details: { created } });
    const retired = before.filter((k) => k.state === 'active').map((k) => k.kid);
    if (v.json) return printJson(ctx.io.stdout, { created, retired });

    const minutes = Math.ceil(keyRetentionMs(services.config) / 60_000);
    const seconds = services.config.keysRefreshSeconds;
    const out = ctx.io.stdout;
    for (const kid of created) out.write(`new key ${kid}\n`);
    for (const kid of retired) out.write(`retired ${kid}\n`);
    out.write(seconds
      ? `Running Porta instances load the new keys by themselves within ${seconds} seconds (KEYS_REFRESH_SECONDS) and sign with them from then on; no restart is needed. `
      : 'KEYS_REFRESH_SECONDS is 0: restart every Porta instance now so they sign with the new keys. ');
    out.write(`The retired keys stay published at /jwks for ${minutes} minutes, until the tokens they signed have expired.\n`);
  },
};
