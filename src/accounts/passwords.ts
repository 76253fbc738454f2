/**
 * argon2id hashing. An unknown user still costs one verification against a fixed dummy hash, so
 * "no such user" and "wrong password" take the same time.
 */
import argon2 from 'argon2';

export interface Argon2Params { memoryKib: number; timeCost: number; parallelism: number }

export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;
  private readonly options;

  constructor(params: Argon2Params) {
    this.options = { type: argon2.argon2id, memoryCost: params.memoryKib, timeCost: params.timeCost, parallelism: params.parallelism } as const;
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /** `rehash` is true when the stored hash was made with weaker parameters than configured now. */
  async verify(hash: string | null | undefined, password: string): Promise<{ ok: boolean; rehash: boolean }> {
    if (!hash) {
      await this.burn(password);
      return { ok: false, rehash: false };
    }
    try {
      const ok = await argon2.verify(hash, password);
      return { ok, rehash: ok && argon2.needsRehash(hash, this.options) };
    } catch {
      return { ok: false, rehash: false };
    }
  }

  /** Spends one verification's worth of work, for requests that have no account to check against. */
  async burn(password: string): Promise<void> {
    this.dummyHash ??= this.hash('porta-timing-equaliser');
    await argon2.verify(await this.dummyHash, password).catch(() => false);
  }
}
