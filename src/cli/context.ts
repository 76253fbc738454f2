/** What every command is given: the streams, the environment, and lazily opened configuration and storage. */
import type { Config } from '../../config/schema.js';
import type { Clock } from '../clock.js';
import type { Services } from '../services.js';

export interface Writable {
  write(chunk: string): unknown;
}

/** A readable stdin; `isTTY` and `setRawMode` are there when it is a terminal. */
export type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin?: Input;
  env: Record<string, string | undefined>;
  clock?: Clock;
}

export interface Opened {
  services: Services;
  /** Migrations applied while opening (empty when the database was already current). */
  applied: string[];
}

export interface Context {
  io: CliIO;
  clock: Clock;
  /** Loads the configuration once; throws ConfigError. */
  config(): Config;
  /** Opens and migrates the database once; run() closes it whatever happens. */
  open(): Promise<Opened>;
}

/** An error the operator can act on: printed as one line, with its own exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad input: wrong arguments, invalid values, duplicates. Exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

export interface Command {
  /** The words that select it: `clients add`. */
  name: string;
  summary: string;
  /** The full --help text. */
  help: string;
  run(args: string[], ctx: Context): Promise<void>;
}
