/**
 * Porta as `npm start` runs it (src/server.ts's start() with the configuration from the environment),
 * plus the bench's debug hook over IPC — the only thing added:
 *   { type: 'sweep' }  runs one expiry sweep now and answers how long it took and how long it held the
 *                      event loop (perf_hooks' event-loop delay monitor, the longest a request could wait);
 *   { type: 'memory' } answers process.memoryUsage();
 *   { type: 'profile', file } starts the V8 CPU profiler; { type: 'profile', file } again stops it and
 *                      writes the .cpuprofile (open it in Chrome DevTools) — bench/run.ts does this
 *                      around Porta's first measured run of each workload when BENCH_PROFILE=1.
 * Started by bench/run.ts; reports { type: 'ready', url } when it listens.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../config/load.js';
import { start } from '../src/server.js';

const running = await start({ config: loadConfig() });

let profiler: Session | undefined;
async function profile(file: string) {
  if (!profiler) {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return;
  }
  const { profile: taken } = await profiler.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(taken));
  profiler.disconnect();
  profiler = undefined;
}

type Message = { type: 'sweep' } | { type: 'memory' } | { type: 'profile'; file: string };
process.on('message', (message: Message) => {
  if (message.type === 'memory') process.send?.({ type: 'memory', memory: process.memoryUsage() });
  if (message.type === 'profile') profile(message.file).then(() => process.send?.({ type: 'profile' }), (err: unknown) => process.send?.({ type: 'profile', error: String(err) }));
  if (message.type === 'sweep') {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = performance.now();
    running.sweep().then(({ rows, longestBatchMs }) => {
      const ms = performance.now() - started;
      delay.disable();
      process.send?.({ type: 'sweep', rows, ms, longestBatchMs, maxEventLoopDelayMs: delay.max / 1e6, p99EventLoopDelayMs: delay.percentile(99) / 1e6 });
    }, (err: unknown) => process.send?.({ type: 'sweep', error: String(err) }));
  }
});

process.send?.({ type: 'ready', url: running.url });
process.on('SIGTERM', () => {
  running.close().then(() => process.exit(0), () => process.exit(1));
});
