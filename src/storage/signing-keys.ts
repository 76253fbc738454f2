/**
 * Signing keys: generated on first start, kept in the database (private parts encrypted when
 * KEYS_ENCRYPTION_SECRET is set), rotated by `porta keys rotate`. A retired key stops signing but stays
 * published at /jwks until every token it signed has expired.
 */
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { Clock } from '../clock.js';
import { lockUntilCommit, type Db } from './db.js';
import { Sealer } from './sealed.js';

/** Any fixed number: the advisory lock under which the first signing keys are created. */
const KEY_CREATION_LOCK = 7_120_414;

export const SIGNING_ALGS = ['ES256', 'RS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export interface KeyInfo {
  kid: string;
  alg: string;
  createdAt: number;
  retiredAt: number | null;
  state: 'active' | 'retired' | 'expired';
}

interface KeyRow { kid: string; alg: string; public_jwk: string; private_jwk: string; created_at: number | string; retired_at: number | string | null }

async function generate(alg: SigningAlg): Promise<{ kid: string; privateJwk: JsonWebKey; publicJwk: JsonWebKey }> {
  const { privateKey, publicKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = publicKey.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint(publicJwk as Parameters<typeof calculateJwkThumbprint>[0]);
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { kid, privateJwk, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

export class SigningKeys {
  private readonly sealer: Sealer;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    secret: string,
    /** How long a retired key stays published: the longest lifetime of a token it may have signed. */
    private readonly retentionMs: number,
  ) {
    this.sealer = new Sealer(secret, 'signing-keys', 'signing keys');
  }

  private async add(alg: SigningAlg, trx: Db = this.db): Promise<string> {
    const { kid, privateJwk, publicJwk } = await generate(alg);
    await trx('signing_keys').insert({
      kid, alg, public_jwk: JSON.stringify(publicJwk), private_jwk: this.sealer.seal(JSON.stringify(privateJwk)),
      created_at: this.clock.now(), retired_at: null,
    });
    return kid;
  }

  /** Creates a signing key for every algorithm that has none (first start). */
  async ensure(): Promise<string[]> {
    return this.db.transaction(async (trx) => {
      // Instances starting together on an empty database: the first creates the keys, the others find them.
      await lockUntilCommit(trx, KEY_CREATION_LOCK);
      const active = (await trx('signing_keys').whereNull('retired_at').pluck('alg')) as string[];
      const created: string[] = [];
      for (const alg of SIGNING_ALGS) if (!active.includes(alg)) created.push(await this.add(alg, trx));
      return created;
    });
  }

  /** New keys sign from the next start; the old ones are retired but stay published. */
  async rotate(): Promise<string[]> {
    return this.db.transaction(async (trx) => {
      await trx('signing_keys').whereNull('retired_at').update({ retired_at: this.clock.now() });
      const created: string[] = [];
      for (const alg of SIGNING_ALGS) created.push(await this.add(alg, trx));
      return created;
    });
  }

  private state(row: KeyRow): KeyInfo['state'] {
    if (row.retired_at === null) return 'active';
    return Number(row.retired_at) + this.retentionMs > this.clock.now() ? 'retired' : 'expired';
  }

  async list(): Promise<KeyInfo[]> {
    const rows = (await this.db('signing_keys').orderBy('created_at', 'desc')) as KeyRow[];
    return rows.map((r) => ({ kid: r.kid, alg: r.alg, createdAt: Number(r.created_at), retiredAt: r.retired_at === null ? null : Number(r.retired_at), state: this.state(r) }));
  }

  /**
   * The private JWKS for oidc-provider: active keys first (oidc-provider signs with the first key of an
   * algorithm), then retired keys still within their retention, published for verification only.
   */
  async jwks(): Promise<{ keys: JsonWebKey[] }> {
    const rows = (await this.db('signing_keys').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'kid' }])) as KeyRow[];
    const published = rows.filter((r) => this.state(r) !== 'expired');
    published.sort((a, b) => Number(a.retired_at !== null) - Number(b.retired_at !== null));
    return { keys: published.map((r) => JSON.parse(this.sealer.open(r.private_jwk)) as JsonWebKey) };
  }

  /** Deletes keys whose retention has passed. */
  async prune(): Promise<number> {
    return this.db('signing_keys').whereNotNull('retired_at').where('retired_at', '<=', this.clock.now() - this.retentionMs).delete();
  }
}
