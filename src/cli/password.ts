/**
 * Where `porta users add` gets a password: PORTA_PASSWORD, else the first line of stdin (piped), else a
 * prompt without echo on a terminal. Never from an argument: arguments end up in shell history and `ps`.
 */
import { CliError, UsageError, type CliIO, type Input, type Writable } from './context.js';

export const PASSWORD_ENV = 'PORTA_PASSWORD';
/** More than this without a newline is not a password; stop reading. */
const MAX_LINE = 4096;

export async function readPassword(io: CliIO): Promise<string> {
  const fromEnv = io.env[PASSWORD_ENV];
  if (fromEnv) return fromEnv;
  const missing = () => new UsageError(`no password given: set ${PASSWORD_ENV} or pipe it on stdin`);
  if (!io.stdin) throw missing();
  if (io.stdin.isTTY && io.stdin.setRawMode) {
    const first = await promptHidden(io.stdin, io.stderr, 'Password: ');
    const again = await promptHidden(io.stdin, io.stderr, 'Repeat password: ');
    if (first !== again) throw new UsageError('the two passwords differ');
    return first;
  }
  const line = await readFirstLine(io.stdin);
  if (!line) throw missing();
  return line;
}

export function readFirstLine(input: Input): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const cleanup = () => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      // A pipe left open by the writer would otherwise keep the process alive after the command is done.
      (input as { unref?(): void }).unref?.();
    };
    const finish = (line: string) => { cleanup(); resolve(line.replace(/\r$/, '')); };
    const onData = (chunk: string | Buffer) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline !== -1) finish(buffered.slice(0, newline));
      else if (buffered.length > MAX_LINE) { cleanup(); reject(new UsageError('the password on stdin is too long')); }
    };
    const onEnd = () => finish(buffered);
    const onError = (err: Error) => { cleanup(); reject(err); };
    input.setEncoding('utf8');
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}

/** Reads one line from a terminal in raw mode, echoing nothing. */
function promptHidden(input: Input, output: Writable, prompt: string): Promise<string> {
  output.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = () => {
      input.off('data', onData);
      input.setRawMode!(false);
      input.pause();
      output.write('\n');
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') { done(); resolve(value); return; }
        // Raw mode swallows the SIGINT of Ctrl-C; end like an interrupted command.
        if (ch === '\u0003') { done(); reject(new CliError('cancelled', 130)); return; }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    input.setRawMode!(true);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
  });
}
