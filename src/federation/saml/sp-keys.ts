/**
 * Porta's own SAML SP keys: a signing pair (AuthnRequests) and an encryption pair (assertions IdPs
 * encrypt to us), each with a self-signed certificate — SAML metadata pins the key itself, so no CA is
 * involved. Generated at first start, kept in the database with the private key sealed like the OIDC
 * signing keys, rotated by `porta federation rotate-sp-keys`. A retired pair stays published in the
 * metadata and still decrypts for SAML_SP_KEY_OVERLAP_DAYS, so IdPs with cached metadata keep working.
 *
 * Certificates are built with node-forge: node:crypto can verify an X509Certificate but not create one,
 * and node-forge is the long-standing, dependency-free library (it is what `selfsigned` wraps); the key
 * pairs themselves come from node:crypto. @peculiar/x509 was the alternative, but it needs a global
 * reflect-metadata polyfill.
 */
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import type { Clock } from '../../clock.js';
import { lockUntilCommit, type Db } from '../../storage/db.js';
import { Sealer } from '../../storage/sealed.js';

/** Any fixed number: the advisory lock under which the first SP key pairs are created. */
const SP_KEY_CREATION_LOCK = 7_120_415;

export const SP_KEY_USES = ['signing', 'encryption'] as const;
export type SpKeyUse = (typeof SP_KEY_USES)[number];

export interface SpKey {
  id: string;
  use: SpKeyUse;
  /** PEM */
  certificate: string;
  createdAt: number;
  notAfter: number;
  retiredAt: number | null;
  state: 'active' | 'retired' | 'expired';
}

export interface SpKeyWithPrivate extends SpKey {
  /** PKCS#8 PEM */
  privateKey: string;
}

interface Row { id: string; use: SpKeyUse; certificate: string; private_key: string; created_at: number | string; not_after: number | string; retired_at: number | string | null }

/** A 2048-bit RSA key (what SAML IdPs all support, the saml2int minimum; generated at every first start, tests included) and a self-signed SHA-256 certificate for it. */
export function generateSpKeyPair(commonName: string, now: number, validDays: number): { certificate: string; privateKey: string; notAfter: number } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  // A positive random serial (RFC 5280: unique per issuer, at most 20 octets).
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  // Whole seconds: X.509 times have no milliseconds, and notAfter is compared with what the certificate says.
  const start = Math.floor(now / 1000) * 1000;
  cert.validity.notBefore = new Date(start);
  cert.validity.notAfter = new Date(start + validDays * 86_400_000);
  const name = [{ name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string), forge.md.sha256.create());
  const certificate = forge.pki.certificateToPem(cert);
  return { certificate, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, notAfter: cert.validity.notAfter.getTime() };
}

/** The certificate's base64 body, as it goes into ds:X509Certificate. */
export const certificateBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

export class SpKeys {
  private readonly sealer: Sealer;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    secret: string,
    /** The certificate subject: the host of the SP's entityID. */
    private readonly commonName: string,
    private readonly overlapMs: number,
    private readonly validDays: number,
  ) {
    this.sealer = new Sealer(secret, 'saml-sp-keys', 'SAML SP keys');
  }

  private async add(use: SpKeyUse, trx: Db): Promise<string> {
    const now = this.clock.now();
    const { certificate, privateKey, notAfter } = generateSpKeyPair(this.commonName, now, this.validDays);
    const id = createHash('sha256').update(new X509Certificate(certificate).raw).digest('base64url');
    await trx('saml_sp_keys').insert({ id, use, certificate, private_key: this.sealer.seal(privateKey), created_at: now, not_after: notAfter, retired_at: null });
    return id;
  }

  /** Creates a key pair for every use that has none (first start). */
  async ensure(): Promise<string[]> {
    return this.db.transaction(async (trx) => {
      // Instances starting together on an empty database: the first creates the pairs, the others find them.
      await lockUntilCommit(trx, SP_KEY_CREATION_LOCK);
      const active = (await trx('saml_sp_keys').whereNull('retired_at').pluck('use')) as string[];
      const created: string[] = [];
      for (const use of SP_KEY_USES) if (!active.includes(use)) created.push(await this.add(use, trx));
      return created;
    });
  }

  /** New pairs sign and are published at once; the current ones are retired but stay published for the overlap. */
  async rotate(): Promise<{ created: string[]; retired: string[] }> {
    return this.db.transaction(async (trx) => {
      const retired = (await trx('saml_sp_keys').whereNull('retired_at').pluck('id')) as string[];
      await trx('saml_sp_keys').whereNull('retired_at').update({ retired_at: this.clock.now() });
      const created: string[] = [];
      for (const use of SP_KEY_USES) created.push(await this.add(use, trx));
      return { created, retired };
    });
  }

  private toKey(r: Row): SpKey {
    const retiredAt = r.retired_at === null ? null : Number(r.retired_at);
    const state = retiredAt === null ? 'active' : retiredAt + this.overlapMs > this.clock.now() ? 'retired' : 'expired';
    return { id: r.id, use: r.use, certificate: r.certificate, createdAt: Number(r.created_at), notAfter: Number(r.not_after), retiredAt, state };
  }

  /** Every key, newest first. */
  async list(): Promise<SpKey[]> {
    const rows = (await this.db('saml_sp_keys').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }])) as Row[];
    return rows.map((r) => this.toKey(r));
  }

  /** What the metadata publishes: active keys first, then retired ones still within the overlap. */
  async published(): Promise<SpKey[]> {
    const keys = (await this.list()).filter((k) => k.state !== 'expired');
    return keys.sort((a, b) => Number(a.state !== 'active') - Number(b.state !== 'active'));
  }

  /** The private keys of one use still published (the active one first): for signing, or trying in turn to decrypt. */
  async privateKeys(use: SpKeyUse): Promise<SpKeyWithPrivate[]> {
    const rows = (await this.db('saml_sp_keys').where({ use }).orderBy('created_at', 'desc')) as Row[];
    return rows.map((r) => ({ ...this.toKey(r), privateKey: this.sealer.open(r.private_key) }))
      .filter((k) => k.state !== 'expired')
      .sort((a, b) => Number(a.state !== 'active') - Number(b.state !== 'active'));
  }
}
