/**
 * OIDC Back-Channel Logout 1.0 for sessions Porta ends itself (password reset or change, "it wasn't me",
 * disable, delete, signing a session out in the personal area). Ending the sessions records what is owed
 * in logout_notices, in the same transaction (src/storage/sessions.ts); the server sends them here, off
 * the request path, with oidc-provider's own logout token (signed, iss, aud, events, sub and sid when
 * the service asks for it). A notice is claimed by deleting it, so of several instances one sends it; a
 * service that does not answer 200/204 is logged and not retried (the person's action stands).
 */
import type Provider from 'oidc-provider';
import type { Services } from '../services.js';

interface NoticeRow { id: number; client_id: string; account_id: string; sid: string | null }

/** oidc-provider's Client.backchannelLogout (lib/models/client.js), which its type definitions omit. */
interface LogoutCapable { backchannelLogoutUri?: string; backchannelLogout(sub: string, sid: string | null): Promise<void> }

export class BackchannelLogouts {
  private running: Promise<number> | undefined;

  constructor(private readonly s: Pick<Services, 'db' | 'logger'>, private readonly provider: () => Provider) {}

  /** Sends what is owed, a batch at a time; one pass at a time. Resolves with how many were delivered. */
  deliver(batchSize = 100): Promise<number> {
    this.running ??= this.pass(batchSize).finally(() => { this.running = undefined; });
    return this.running;
  }

  private async pass(batchSize: number): Promise<number> {
    const { db, logger } = this.s;
    let delivered = 0;
    for (;;) {
      const rows = (await db('logout_notices').orderBy('id').limit(batchSize).select('id', 'client_id', 'account_id', 'sid')) as NoticeRow[];
      if (!rows.length) return delivered;
      const results = await Promise.all(rows.map(async (row) => {
        if ((await db('logout_notices').where({ id: row.id }).delete()) !== 1) return false; // another instance took it
        const client = (await this.provider().Client.find(row.client_id)) as unknown as LogoutCapable | undefined;
        if (!client?.backchannelLogoutUri) return false;
        try {
          await client.backchannelLogout(row.account_id, row.sid);
          return true;
        } catch (err) {
          logger.warn({ err, clientId: row.client_id }, 'back-channel logout not delivered');
          return false;
        }
      }));
      delivered += results.filter(Boolean).length;
    }
  }
}
