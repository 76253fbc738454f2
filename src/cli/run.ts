/**
 * The `porta` command line, runnable in-process: run(argv, io) returns the exit code. 0 done,
 * 1 unexpected failure, 2 bad input or configuration; every failure is one line on stderr.
 */
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { systemClock } from '../clock.js';
import { createServices, type Services } from '../services.js';
import { migrate, openDatabase, type Db } from '../storage/db.js';
import { readFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';
import { wantsHelp } from './args.js';
import { findCommand, groupUsage, groups, usage } from './commands/index.js';
import { CliError, UsageError, type CliIO, type Context, type Opened } from './context.js';

export type { CliIO } from './context.js';

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: `invalid configuration: ${err.problems.join('; ')}`, exitCode: 2 };
  // Not `instanceof Error`: errors from another realm (node internals under jest's vm) would fail it.
  const message = (err as { message?: unknown } | undefined)?.message;
  return { message: typeof message === 'string' && message ? message : String(err), exitCode: 1 };
}

/** Configuration and storage opened on first use, so --help and argument errors need neither. */
function createContext(io: CliIO): { ctx: Context; close(): Promise<void> } {
  const clock = io.clock ?? systemClock;
  let config: Config | undefined;
  let db: Db | undefined;
  let services: Services | undefined;
  let opened: Promise<Opened> | undefined;
  const ctx: Context = {
    io,
    clock,
    config: () => (config ??= loadConfig({ env: io.env })),
    open() {
      opened ??= (async () => {
        const cfg = ctx.config();
        db = openDatabase(cfg.databaseUrl, cfg);
        const applied = await migrate(db);
        // Warnings and errors only, on stderr: stdout stays clean for --json.
        const logger = pino({ level: 'warn', base: undefined }, { write: (line: string) => void io.stderr.write(line) });
        services = createServices(cfg, db, clock, logger);
        // Connected, so that what a command changes in a limit (users unlock) reaches Redis too.
        await services.rateLimits.start();
        return { services, applied };
      })();
      return opened;
    },
  };
  return { ctx, close: async () => { await services?.rateLimits.close(); await db?.destroy(); } };
}

/** Resolves help requests and the command; throws UsageError for anything it does not know. */
function route(argv: string[]) {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given (see porta --help)');
  if (first === '--help' || first === '-h') return { help: usage() };
  if (first === 'help') {
    if (rest.length === 0) return { help: usage() };
    const found = findCommand(rest);
    if (found) return { help: found.command.help };
    if (rest.length === 1 && groups().includes(rest[0]!)) return { help: groupUsage(rest[0]!) };
    throw new UsageError(`no help for "${rest.join(' ')}" (see porta --help)`);
  }
  const found = findCommand(argv);
  if (found) return wantsHelp(found.args) ? { help: found.command.help } : found;
  if (groups().includes(first)) {
    if (wantsHelp(rest)) return { help: groupUsage(first) };
    const sub = rest[0];
    const choices = groupUsage(first).split('\n')[0]!.replace('Usage: ', '').replace(' [options]', '');
    throw new UsageError(sub === undefined || sub.startsWith('-') ? `${first} needs a command: ${choices}` : `unknown command "${first} ${sub}"; try ${choices}`);
  }
  throw new UsageError(first.startsWith('-') ? `unknown option ${first} (see porta --help)` : `unknown command "${first}" (see porta --help)`);
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout.write(`${(JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version}\n`);
    return 0;
  }
  const { ctx, close } = createContext(io);
  try {
    const routed = route(argv);
    if ('help' in routed) {
      io.stdout.write(routed.help);
      return 0;
    }
    await routed.command.run(routed.args, ctx);
    return 0;
  } catch (err) {
    const { message, exitCode } = describeError(err);
    io.stderr.write(`porta: ${oneLine(message)}\n`);
    return exitCode;
  } finally {
    await close().catch(() => undefined);
  }
}
