/** Option parsing on node's util.parseArgs (strict): every mistake becomes one UsageError line. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './context.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export interface ParseHints {
  /** Extra advice for an unknown option, by its spelling (`--password`). */
  unknown?: Record<string, string>;
}

function describe(command: string, err: unknown, hints: ParseHints): string {
  const { code, message } = err as { code?: string; message: string };
  const seeHelp = `see porta ${command} --help`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(message)?.[1] ?? 'option';
    const hint = hints.unknown?.[option.split('=')[0]!];
    return `unknown option ${option} for "porta ${command}"${hint ? `: ${hint}` : ` (${seeHelp})`}`;
  }
  // The value is not echoed: it could be a password typed in the wrong place.
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `"porta ${command}" takes only --options, not bare arguments (${seeHelp})`;
  return `${message.replace(/\.$/, '')} (${seeHelp})`;
}

type Values<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; strict: true; allowPositionals: false }>>['values'];

export function parse<const O extends Options>(command: string, args: string[], options: O, hints: ParseHints = {}): Values<O> {
  try {
    return parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, strict: true, allowPositionals: false }).values as Values<O>;
  } catch (err) {
    throw new UsageError(describe(command, err, hints));
  }
}

/** True when --help / -h appears before any `--`; checked before parsing so help always works. */
export function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export function required<T>(value: T | undefined | '', option: string): T {
  if (value === undefined || value === '') throw new UsageError(`--${option} is required`);
  return value;
}

/**
 * Like parse, for commands that also take up to `max` bare arguments (`porta users unlock mrossi`), named
 * `name` in messages. Values are never echoed: a password typed in the wrong place stays off the screen.
 */
export function parseWithArgs<const O extends Options>(command: string, args: string[], options: O, name: string, max = 1, hints: ParseHints = {}): Values<O> & { positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(describe(command, err, hints));
  }
  if (parsed.positionals.length > max) throw new UsageError(`"porta ${command}" takes at most ${max} ${name} (see porta ${command} --help)`);
  return { ...(parsed.values as Values<O>), positionals: parsed.positionals };
}
