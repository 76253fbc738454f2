/** `porta backup FILE`: a consistent copy of the SQLite database, taken while Porta keeps serving. */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { sqlitePath } from '../../storage/db.js';
import { parse } from '../args.js';
import { CliError, UsageError, type Command } from '../context.js';
import { printJson } from '../output.js';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Copy the SQLite database consistently while Porta runs',
  help: `Usage: porta backup FILE [--json]

Writes a consistent, compacted copy of the SQLite database (DATABASE_URL) to FILE with SQLite's
VACUUM INTO, while the server keeps running. FILE must not exist yet.

To restore: stop Porta, move the backup into place as the database file (remove the old file's
-wal and -shm companions), and start Porta again.
For PostgreSQL use pg_dump instead.

Options:
  --json       print {"file", "bytes"} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const positional = args.filter((a) => !a.startsWith('-'));
    const v = parse(this.name, args.filter((a) => a.startsWith('-')), {});
    if (positional.length !== 1) throw new UsageError('porta backup takes one FILE to write the copy to (see porta backup --help)');
    const target = resolve(positional[0]!);
    if (existsSync(target)) throw new UsageError(`${target} already exists; choose a new file name`);
    if (!existsSync(dirname(target))) throw new UsageError(`the folder ${dirname(target)} does not exist`);
    if (sqlitePath(ctx.config().databaseUrl) === undefined) throw new UsageError('porta backup copies SQLite databases; for PostgreSQL use pg_dump');
    const { services } = await ctx.open();
    try {
      await services.db.raw('VACUUM INTO ?', [target]);
    } catch (err) {
      throw new CliError(`backup failed: ${(err as Error).message}`);
    }
    const bytes = statSync(target).size;
    await services.audit.record({ action: 'database.backup', actor: 'cli', details: { file: target, bytes } });
    if (v.json) return printJson(ctx.io.stdout, { file: target, bytes });
    ctx.io.stdout.write(`backup written to ${target} (${bytes} bytes)\n`);
  },
};
