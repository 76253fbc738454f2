/** `porta migrate`: applies pending migrations (every command does so too; this one reports it). */
import { parse } from '../args.js';
import type { Command } from '../context.js';
import { printJson } from '../output.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations',
  help: `Usage: porta migrate [--json]

Applies the database migrations that have not run yet (DATABASE_URL). Safe to run any number of times.

Options:
  --json       print {"applied": [names]} as JSON
  -h, --help   show this help
`,
  async run(args, ctx) {
    const v = parse(this.name, args, {});
    const { applied } = await ctx.open();
    if (v.json) return printJson(ctx.io.stdout, { applied });
    if (applied.length === 0) return void ctx.io.stdout.write('database is up to date\n');
    for (const name of applied) ctx.io.stdout.write(`applied ${name}\n`);
  },
};
