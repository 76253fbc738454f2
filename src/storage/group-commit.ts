/**
 * Group commit for oidc-provider's writes. A token request writes two or three rows (consume the old
 * refresh token, save the new one, save the access token); committed one by one, each is a transaction
 * of its own and its own pages appended to SQLite's write-ahead log. Here the writes queued during one
 * turn of the event loop are committed together in one transaction, and each caller's promise settles
 * only after that commit: nothing is acknowledged before it is durable, and a caller that awaited its
 * write reads it back as before.
 */
import type { Knex } from 'knex';
import type { Db } from './db.js';

type Write = (q: Knex | Knex.Transaction) => Promise<unknown>;

interface Queued {
  write: Write;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export class GroupCommit {
  private queue: Queued[] = [];
  private flushing = false;

  constructor(private readonly db: Db) {}

  run<T>(write: (q: Knex | Knex.Transaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length === 1 && !this.flushing) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      if (batch.length === 1) {
        await settle(batch[0]!, this.db);
        continue;
      }
      let results: unknown[] | undefined;
      try {
        results = await this.db.transaction(async (trx) => {
          const out = [];
          for (const { write } of batch) out.push(await write(trx));
          return out;
        });
      } catch {
        // One bad write must not fail the others: each runs again on its own and gets its own answer.
        for (const queued of batch) await settle(queued, this.db);
        continue;
      }
      batch.forEach((queued, i) => queued.resolve(results[i]));
    }
    this.flushing = false;
  }
}

async function settle({ write, resolve, reject }: Queued, db: Db) {
  try {
    resolve(await write(db));
  } catch (err) {
    reject(err);
  }
}
