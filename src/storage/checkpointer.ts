/**
 * SQLite WAL checkpoints off the event loop. SQLite copies the write-ahead log back into the database
 * file (and fsyncs it) inside the commit that crosses `wal_autocheckpoint` pages. On Porta's single
 * connection that commit is some request's, or an expiry-sweep batch, and everything queued behind it
 * waited: bench/RESULTS.md measured stalls of 20–130 ms. So the server's connection leaves checkpoints
 * to a worker thread with its own connection, which runs a PASSIVE checkpoint (never blocks readers or
 * the writer) a few times a second. The server's connection keeps a high automatic threshold as a
 * safety net, should the thread ever fall behind.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The threshold left on the server's own connection: only reached if the thread stops keeping up. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    const [state] = db.pragma('wal_checkpoint(PASSIVE)');
    // A writer that never finds the log fully copied never rewinds it: once it is long, copy the rest and
    // rewind (RESTART waits for the writer's current transaction; the copying is mostly done by then).
    if (state && state.log > workerData.restartFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch { /* busy: another process is checkpointing */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage('stopped');
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, intervalMs = 200, restartFrames = 4000): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { driver, file, intervalMs, restartFrames } });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', () => { /* the fallback threshold on the server's connection still checkpoints */ });
  return {
    async stop() {
      const stopped = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('stop');
      await Promise.race([stopped, exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      await worker.terminate();
    },
  };
}
