/**
 * Group commit for oidc-provider's writes. A token request writes two or three rows (consume the old
 * refresh token, save the new one, save the access token); committed one by one, each is a transaction
 * of its own and its own pages appended to SQLite's write-ahead log. Here the writes queued during one
 * turn of the event loop are committed together in one transaction, and each caller's promise settles
 * only after that commit: nothing is acknowledged before it is durable, and a caller that awaited its
 * write reads it back as before.
 */
import type { Db } from './db.js';
import { runInTransaction, type Statement } from './statements.js';

interface Queued {
  statement: Statement;
  resolve: (changes: number) => void;
  reject: (reason: unknown) => void;
}

export class GroupCommit {
  private queue: Queued[] = [];
  private flushing = false;

  constructor(private readonly db: Db) {}

  /** Runs the statement in the next group; answers how many rows it changed. */
  run(statement: Statement): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ statement, resolve, reject });
      if (this.queue.length === 1 && !this.flushing) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      let changes: number[];
      try {
        changes = await runInTransaction(this.db, batch.map((q) => q.statement));
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
          continue;
        }
        // One bad write must not fail the others: each runs again on its own and gets its own answer.
        for (const { statement, resolve, reject } of batch) {
          await runInTransaction(this.db, [statement]).then(([n]) => resolve(n!), reject);
        }
        continue;
      }
      batch.forEach((q, i) => q.resolve(changes[i]!));
    }
    this.flushing = false;
  }
}
