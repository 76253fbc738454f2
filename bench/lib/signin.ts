/** The full password sign-in under load, and argon2id's ceiling on this machine. */
import { cpus } from 'node:os';
import argon2 from 'argon2';
import { password, username } from './common.js';
import { signIn, type Tokens } from './http.js';

export interface SigninFigures { rate: number; p50: number; p99: number; failed: number; firstError?: string }

const percentile = (sorted: number[], p: number) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN;

/**
 * `concurrency` people sign in one after another for `seconds`, each as a fresh browser, cycling through
 * `users` distinct accounts. Counts sign-ins completed (tokens in hand) within the time; the tokens feed `collect`.
 */
export async function signinLoad(origin: string, users: number, concurrency: number, seconds: number, collect?: (t: Tokens) => void): Promise<SigninFigures> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let next = Math.floor(Math.random() * users);
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      const i = next++ % users;
      const t0 = performance.now();
      try {
        const tokens = await signIn(origin, username(i), password(i));
        const t1 = performance.now();
        if (t1 <= deadline) latencies.push(t1 - t0);
        collect?.(tokens);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  }));
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), failed, firstError };
}

/** argon2id verifications per second at `params`, one verification in flight per core (all cores busy). */
export async function argon2Ceiling(params: { memoryKib: number; timeCost: number; parallelism: number }, seconds: number): Promise<{ rate: number; threads: number }> {
  const options = { type: argon2.argon2id, memoryCost: params.memoryKib, timeCost: params.timeCost, parallelism: params.parallelism } as const;
  const hash = await argon2.hash('ceiling-password-1', options);
  const threads = cpus().length;
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: threads }, async () => {
    while (performance.now() < deadline) {
      await argon2.verify(hash, 'ceiling-password-1');
      if (performance.now() <= deadline) done++;
    }
  }));
  return { rate: done / seconds, threads };
}
