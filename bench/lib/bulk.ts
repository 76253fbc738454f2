/**
 * Storage scale: fills oidc_payloads with signed-in people — for each, a Session, its Grant, a
 * RefreshToken and an AccessToken — cloned from real rows Porta wrote during a sign-in, with fresh ids
 * of the same length in place of every id, so sizes and index shapes are Porta's own. Batched multi-row
 * INSERTs in large transactions, straight through better-sqlite3 (a bench loader, not Porta's code path).
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

const MODELS = ['Session', 'Grant', 'RefreshToken', 'AccessToken'] as const;
const ID_KEYS = new Set(['jti', 'uid', 'sessionUid', 'grantId', 'sid', 'accountId', 'nonce']);
const COLUMNS = ['model', 'id', 'payload', 'grant_id', 'user_code', 'uid', 'expires_at', 'consumed_at'];
const ROWS_PER_STATEMENT = 500; // 500 × 8 = 4,000 bound variables, well under SQLite's 32,766

interface Template { model: string; payload: string }

/** The rows of one real sign-in: its AccessToken, and the Grant, RefreshToken and Session it belongs to. */
export function readTemplates(file: string): Template[] {
  const db = new Database(file, { readonly: true });
  try {
    const at = db.prepare("SELECT payload, grant_id FROM oidc_payloads WHERE model = 'AccessToken' AND grant_id IS NOT NULL ORDER BY rowid DESC LIMIT 1").get() as { payload: string; grant_id: string };
    const sessionUid = (JSON.parse(at.payload) as { sessionUid: string }).sessionUid;
    const rt = db.prepare("SELECT payload FROM oidc_payloads WHERE model = 'RefreshToken' AND grant_id = ? LIMIT 1").get(at.grant_id) as { payload: string };
    const grant = db.prepare("SELECT payload FROM oidc_payloads WHERE model = 'Grant' AND id = ?").get(at.grant_id) as { payload: string };
    const session = db.prepare("SELECT payload FROM oidc_payloads WHERE model = 'Session' AND uid = ?").get(sessionUid) as { payload: string };
    return [{ model: 'Session', payload: session.payload }, { model: 'Grant', payload: grant.payload }, { model: 'RefreshToken', payload: rt.payload }, { model: 'AccessToken', payload: at.payload }];
  } finally {
    db.close();
  }
}

function collectIds(value: unknown, out: Set<string>) {
  if (!value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (ID_KEYS.has(k) && typeof v === 'string') out.add(v);
    else collectIds(v, out);
  }
}

/** A template split around its ids: segments[i] + ids[slots[i]] + segments[i + 1] … */
function compile(payload: string, ids: string[]) {
  const pattern = new RegExp(ids.map((id) => id.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')).join('|'), 'g');
  const segments: string[] = [];
  const slots: number[] = [];
  let last = 0;
  for (const m of payload.matchAll(pattern)) {
    segments.push(payload.slice(last, m.index));
    slots.push(ids.indexOf(m[0]));
    last = m.index + m[0].length;
  }
  segments.push(payload.slice(last));
  return (fresh: string[]) => {
    let s = segments[0]!;
    for (let i = 0; i < slots.length; i++) s += fresh[slots[i]!]! + segments[i + 1]!;
    return s;
  };
}

export interface BulkResult { sessions: number; rows: number; ms: number; firstRowid: number; lastRowid: number }

/** Inserts `sessions` signed-in people; expiry columns as Porta's TTLs set them (`ttlSeconds` per model). */
export function bulkInsert(file: string, templates: Template[], sessions: number, ttlSeconds: Record<string, number>, onProgress?: (done: number) => void): BulkResult {
  const ids = new Set<string>();
  for (const t of templates) collectIds(JSON.parse(t.payload), ids);
  const idList = [...ids];
  const builders = templates.map((t) => ({ model: t.model, build: compile(t.payload, idList) }));
  const slotOf = (model: string, key: string) => {
    const parsed = JSON.parse(templates.find((t) => t.model === model)!.payload) as Record<string, string>;
    return idList.indexOf(parsed[key]!);
  };
  const jtiSlot = Object.fromEntries(MODELS.map((m) => [m, slotOf(m, 'jti')]));
  const grantSlot = slotOf('Grant', 'jti');
  const uidSlot = slotOf('Session', 'uid');

  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const placeholders = `(${COLUMNS.map(() => '?').join(',')})`;
  const insertMany = db.prepare(`INSERT INTO oidc_payloads (${COLUMNS.join(',')}) VALUES ${Array(ROWS_PER_STATEMENT).fill(placeholders).join(',')}`);
  const insertOne = db.prepare(`INSERT INTO oidc_payloads (${COLUMNS.join(',')}) VALUES ${placeholders}`);
  const before = (db.prepare('SELECT max(rowid) AS r FROM oidc_payloads').get() as { r: number | null }).r ?? 0;

  const started = performance.now();
  const now = Date.now();
  const perTransaction = 25_000;
  const transaction = db.transaction((count: number) => {
    const params: unknown[] = [];
    let rows = 0;
    const flush = () => {
      if (rows === ROWS_PER_STATEMENT) insertMany.run(params);
      else for (let i = 0; i < rows; i++) insertOne.run(params.slice(i * COLUMNS.length, (i + 1) * COLUMNS.length));
      params.length = 0;
      rows = 0;
    };
    const random = randomBytes(count * idList.length * 33).toString('base64url');
    let offset = 0;
    for (let n = 0; n < count; n++) {
      const fresh = idList.map((id) => { const s = random.slice(offset, offset + id.length); offset += id.length; return s; });
      for (const { model, build } of builders) {
        const ttl = ttlSeconds[model]! * 1000;
        params.push(model, fresh[jtiSlot[model]!], build(fresh), model === 'RefreshToken' || model === 'AccessToken' ? fresh[grantSlot] : null, null,
          model === 'Session' ? fresh[uidSlot] : null, now + ttl - Math.floor(Math.random() * ttl * 0.25), null);
        if (++rows === ROWS_PER_STATEMENT) flush();
      }
    }
    if (rows) flush();
  });
  for (let done = 0; done < sessions; done += perTransaction) {
    transaction(Math.min(perTransaction, sessions - done));
    onProgress?.(Math.min(done + perTransaction, sessions));
  }
  const after = (db.prepare('SELECT max(rowid) AS r FROM oidc_payloads').get() as { r: number }).r;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { sessions, rows: sessions * templates.length, ms: performance.now() - started, firstRowid: before + 1, lastRowid: after };
}

/** Makes every other person's four rows expired (as if they had signed in two weeks ago). */
export function expireHalf(file: string, { firstRowid, lastRowid }: BulkResult, rowsPerSession: number): { rows: number; ms: number } {
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const started = performance.now();
  const update = db.prepare(`UPDATE oidc_payloads SET expires_at = ? WHERE rowid BETWEEN ? AND ? AND ((rowid - ?) / ${rowsPerSession}) % 2 = 0`);
  let rows = 0;
  const past = Date.now() - 1000;
  for (let from = firstRowid; from <= lastRowid; from += 200_000) {
    rows += update.run(past, from, Math.min(from + 199_999, lastRowid), firstRowid).changes;
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { rows, ms: performance.now() - started };
}

/** Bytes the database occupies (main file + WAL). */
export function databaseBytes(file: string): number {
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const { page_count: pages } = db.prepare('PRAGMA page_count').get() as { page_count: number };
  const { page_size: size } = db.prepare('PRAGMA page_size').get() as { page_size: number };
  db.close();
  return pages * size;
}
