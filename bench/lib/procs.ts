/** Child processes of the bench: spawn with IPC, wait for { type: 'ready' }, ask, stop, read RSS. */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fromRoot } from '../../src/paths.js';
import { dropConnections } from './http.js';

export interface Proc {
  child: ChildProcess;
  url: string;
  /** Sends a message and waits for the answer of the same type. */
  ask<T>(message: { type: string; [field: string]: unknown }): Promise<T>;
  stop(): Promise<number | null>;
}

const live = new Set<Proc>();

/** Stops every server this bench started that is still running (after a failure). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

/**
 * Runs `node <script>` (with `--import tsx` for a .ts script) with `env` (on top of PATH/HOME only, so nothing of the developer's
 * environment leaks in); stdout and stderr go through a pipe to `logFile`. Resolves when the child reports ready, or
 * when `readyUrl` answers (for src/main.ts, which does not talk IPC).
 */
export async function launch(script: string, env: Record<string, string>, logFile: string, readyUrl?: string, execArgv: string[] = []): Promise<Proc> {
  const log = createWriteStream(logFile, { flags: 'a' });
  await new Promise((ok) => log.once('open', ok));
  const child = fork(fromRoot(script), [], {
    execArgv: [...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), ...execArgv],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_OPTIONS: '', ...env },
    // A pipe, as under systemd or docker: the log collector (here, this process) takes the lines in
    // large reads, so the server pays a pipe write per line, not a disk write.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    cwd: fromRoot(),
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<number | null>((ok) => child.once('close', (code) => ok(code)));
  let url = readyUrl ?? '';
  const ready = new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${script} did not start in 60 s; see ${logFile}`)), 60_000);
    const done = () => { clearTimeout(timer); ok(); };
    void exited.then((code) => { clearTimeout(timer); fail(new Error(`${script} exited (${code}) while starting; see ${logFile}`)); });
    if (readyUrl) {
      const poll = async () => {
        for (let i = 0; i < 600; i++) {
          try {
            if ((await fetch(`${readyUrl}/healthz`)).ok) return done();
          } catch { /* not yet */ }
          if (child.exitCode !== null) return;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      void poll();
    } else {
      child.on('message', (m: { type?: string; url?: string }) => { if (m.type === 'ready') { url = m.url!; done(); } });
    }
  });
  try {
    await ready;
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGTERM');
    throw err;
  }
  const proc: Proc = {
    child,
    url,
    ask<T>(message: { type: string; [field: string]: unknown }) {
      return new Promise<T>((ok) => {
        const onMessage = (m: { type?: string }) => { if (m.type === message.type) { child.off('message', onMessage); ok(m as T); } };
        child.on('message', onMessage);
        child.send(message);
      });
    },
    async stop() {
      live.delete(proc);
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      log.end();
      dropConnections();
      return code;
    },
  };
  live.add(proc);
  return proc;
}

/** Resident set size now and at its peak (VmHWM), in bytes, from /proc. */
export function rss(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** The pids of a process's children (cluster workers), from /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU time (user + system, in seconds) of a process and its children (cluster workers), from /proc. */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of [pid, ...childPids(pid)]) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch { /* exited */ }
  }
  return ticks / 100; // USER_HZ
}
