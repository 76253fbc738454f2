/**
 * argon2id hashing. An unknown user still costs one verification against a fixed dummy hash, so
 * "no such user" and "wrong password" take the same time.
 *
 * Hashes imported from another system (`porta users import`) are verified too — argon2i, bcrypt
 * ($2a$/$2b$/$2y$) and PBKDF2-SHA256 in passlib's `$pbkdf2-sha256$` format — and reported as needing a
 * rehash, so the first successful sign-in replaces them with argon2id.
 */
import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import argon2 from 'argon2';
import bcrypt from 'bcryptjs';

const pbkdf2Async = promisify(pbkdf2);

/** The kinds of stored hash Porta can verify, told apart by their prefix. */
export type HashKind = 'argon2id' | 'argon2i' | 'bcrypt' | 'pbkdf2-sha256';

export function hashKind(hash: string): HashKind | undefined {
  if (hash.startsWith('$argon2id$')) return 'argon2id';
  if (hash.startsWith('$argon2i$')) return 'argon2i';
  if (/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) return 'bcrypt';
  if (parsePbkdf2(hash)) return 'pbkdf2-sha256';
  return undefined;
}

/** passlib's "adapted base64": standard base64 with '.' for '+' and no padding. */
const ab64 = (s: string) => Buffer.from(s.replace(/\./g, '+'), 'base64');

/** Iterations above this are refused: an imported hash must not be able to pin a core for minutes. */
const PBKDF2_MAX_ROUNDS = 10_000_000;

function parsePbkdf2(hash: string): { rounds: number; salt: Buffer; checksum: Buffer } | undefined {
  const m = /^\$pbkdf2-sha256\$(\d{1,8})\$([./A-Za-z0-9]{0,128})\$([./A-Za-z0-9]{43})$/.exec(hash);
  if (!m) return undefined;
  const rounds = Number(m[1]);
  if (rounds < 1 || rounds > PBKDF2_MAX_ROUNDS) return undefined;
  return { rounds, salt: ab64(m[2]!), checksum: ab64(m[3]!) };
}

export interface Argon2Params { memoryKib: number; timeCost: number; parallelism: number }

/**
 * Runs at most `size` tasks at once, the rest in arrival order. libuv would run four hashes at once on
 * any machine; on fewer cores they only share them, each holding its 19 MiB meanwhile, and they keep
 * the pool's threads from the token signatures WebCrypto runs there.
 */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;
  private readonly options;
  private readonly slots = new Slots(Math.min(4, availableParallelism()));

  constructor(params: Argon2Params) {
    this.options = { type: argon2.argon2id, memoryCost: params.memoryKib, timeCost: params.timeCost, parallelism: params.parallelism } as const;
  }

  hash(password: string): Promise<string> {
    return this.slots.run(() => argon2.hash(password, this.options));
  }

  /** `rehash` is true when the stored hash was made with weaker parameters than configured now. */
  async verify(hash: string | null | undefined, password: string): Promise<{ ok: boolean; rehash: boolean }> {
    if (!hash) {
      await this.burn(password);
      return { ok: false, rehash: false };
    }
    try {
      const kind = hashKind(hash);
      const ok = kind === undefined ? false : await this.slots.run(() => verifyKind(kind, hash, password));
      return { ok, rehash: ok && (kind !== 'argon2id' || argon2.needsRehash(hash, this.options)) };
    } catch {
      return { ok: false, rehash: false };
    }
  }

  /** Spends one verification's worth of work, for requests that have no account to check against. */
  async burn(password: string): Promise<void> {
    this.dummyHash ??= this.hash('porta-timing-equaliser');
    const dummy = await this.dummyHash;
    await this.slots.run(() => argon2.verify(dummy, password)).catch(() => false);
  }
}

function verifyKind(kind: HashKind, hash: string, password: string): Promise<boolean> {
  switch (kind) {
    case 'argon2id':
    case 'argon2i':
      return argon2.verify(hash, password);
    case 'bcrypt':
      return bcrypt.compare(password, hash);
    case 'pbkdf2-sha256': {
      const { rounds, salt, checksum } = parsePbkdf2(hash)!;
      return pbkdf2Async(password, salt, rounds, checksum.length, 'sha256').then((derived) => timingSafeEqual(derived, checksum));
    }
  }
}
