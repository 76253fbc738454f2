/**
 * The expiry sweep: deletes the sessions, grants, codes and tokens whose time is up.
 *
 * Deleting a row touches a page in each of its indexes, mostly out of cache in a large database, and
 * SQLite's write-ahead log then copies those pages back into the database file and waits for the disk
 * (a checkpoint). On the event loop that stalled requests for tens to hundreds of milliseconds at a
 * million sessions (bench/RESULTS.md). So on a SQLite file the sweep runs in a worker thread on a
 * connection of its own: requests wait only while one of its batches holds the write lock, and each
 * batch is sized for ~5 ms as well as bounded by rows (a stalling disk can still stretch one). The
 * worker checkpoints after every batch, so the log seldom grows long enough for a request's commit to
 * have to do it. On PostgreSQL (or an
 * in-memory SQLite database, which another connection cannot see) it runs in-process.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../clock.js';
import { sqlitePath, type Db } from './db.js';

/** How long one batch may hold the write lock. */
const BATCH_MS = 5;

export interface SweepResult {
  rows: number;
  /** The longest any one batch took: how long a request could have waited for the write lock. */
  longestBatchMs: number;
}

export interface Sweep {
  done: Promise<SweepResult>;
  /** Ends the sweep after its current batch (shutdown); `done` still answers. */
  stop(): void;
}

export function sweepExpired(db: Db, databaseUrl: string, clock: Clock, maxBatchSize: number): Sweep {
  const file = sqlitePath(databaseUrl);
  if (file === undefined || file === ':memory:') return sweepInProcess(db, clock, maxBatchSize);
  return sweepInWorker(file, clock.now(), maxBatchSize);
}

/** PostgreSQL's queries do not block the event loop: batches only keep each transaction short. */
function sweepInProcess(db: Db, clock: Clock, batchSize: number): Sweep {
  let stopped = false;
  const done = (async () => {
    const result = { rows: 0, longestBatchMs: 0 };
    while (!stopped) {
      const started = performance.now();
      const expired = db('oidc_payloads').select('model', 'id').where('expires_at', '<=', clock.now()).limit(batchSize);
      const deleted = await db('oidc_payloads').whereIn(['model', 'id'], expired).delete();
      result.rows += deleted;
      result.longestBatchMs = Math.max(result.longestBatchMs, performance.now() - started);
      if (deleted < batchSize) break;
      await new Promise((resolve) => setImmediate(resolve)); // let waiting requests in
    }
    return result;
  })();
  return { done, stop: () => { stopped = true; } };
}

/** The worker's code: plain JavaScript, so it runs the same from the TypeScript sources and the build. */
const WORKER = `
const { parentPort, workerData: w } = require('node:worker_threads');
const Database = require(w.driver);
const stop = new Int32Array(w.stop);
const db = new Database(w.file);
const result = { rows: 0, longestBatchMs: 0 };
try {
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -16384'); // as the server's connection: a batch should not spill to the log mid-way
  const remove = db.prepare('DELETE FROM oidc_payloads WHERE (model, id) IN (SELECT model, id FROM oidc_payloads WHERE expires_at <= ? LIMIT ?)');
  let size = Math.min(w.max, 50);
  while (Atomics.load(stop, 0) === 0) {
    const started = performance.now();
    const deleted = remove.run(w.now, size).changes;
    const ms = performance.now() - started;
    result.rows += deleted;
    result.longestBatchMs = Math.max(result.longestBatchMs, ms);
    db.pragma('wal_checkpoint(PASSIVE)');
    if (deleted < size) break;
    // Towards ${BATCH_MS} ms: scaled by how long this batch took, at most doubling.
    size = Math.max(1, Math.min(w.max, Math.floor(size * Math.min(2, ${BATCH_MS} / Math.max(ms, 0.1)))));
  }
} finally {
  db.close();
}
parentPort.postMessage(result);
`;

function sweepInWorker(file: string, now: number, maxBatchSize: number): Sweep {
  const stop = new SharedArrayBuffer(4);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, now, max: maxBatchSize, driver, stop } });
  const done = new Promise<SweepResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`sweep worker exited with code ${code}`)));
  });
  return { done, stop: () => Atomics.store(new Int32Array(stop), 0, 1) };
}
