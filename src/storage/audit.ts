/** The audit log: a table the helpdesk can query, mirrored to pino. Never holds a secret. */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Db } from './db.js';

export interface AuditEvent {
  action: string;
  actor: string;
  accountId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEvent, 'details'>> { id: number; at: number; details: Record<string, unknown> | null }

export class Audit {
  /** `counted` hears every action recorded (src/metrics.ts counts sign-ins, lockouts, registrations). */
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly logger?: Logger, private readonly counted?: (action: string) => void) {}

  async record(event: AuditEvent, trx: Db = this.db): Promise<void> {
    const at = this.clock.now();
    await trx('audit_events').insert({
      at, action: event.action, actor: event.actor, account_id: event.accountId ?? null, client_id: event.clientId ?? null,
      ip: event.ip ?? null, details: event.details ? JSON.stringify(event.details) : null,
    });
    this.logger?.info({ audit: { ...event, at } }, event.action);
    this.counted?.(event.action);
  }

  async list(filter: { accountId?: string; since?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    const q = this.db('audit_events').orderBy('id', 'desc').limit(filter.limit ?? 100);
    if (filter.accountId) q.where({ account_id: filter.accountId });
    if (filter.since !== undefined) q.where('at', '>=', filter.since);
    const rows = (await q) as { id: number; at: number | string; action: string; actor: string; account_id: string | null; client_id: string | null; ip: string | null; details: string | null }[];
    return rows.map((r) => ({ id: r.id, at: Number(r.at), action: r.action, actor: r.actor, accountId: r.account_id, clientId: r.client_id, ip: r.ip, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null }));
  }
}
