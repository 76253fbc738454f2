/**
 * argon2id hashing. An unknown user still costs one verification against a fixed dummy hash, so
 * "no such user" and "wrong password" take the same time.
 */
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';

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
      const ok = await this.slots.run(() => argon2.verify(hash, password));
      return { ok, rehash: ok && argon2.needsRehash(hash, this.options) };
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
