/**
 * Work that must not change what a person sees or how long the answer takes: recovery mails go out
 * after the response is decided, so "an account matched" and "nothing matched" look and time the same.
 * Failures are logged (never thrown at the person, who was already told "if it matched, we sent it").
 */
import type { Mail } from '../mail/mailer.js';
import type { Services } from '../services.js';

const pending = new Set<Promise<unknown>>();

export function inBackground(s: Pick<Services, 'logger'>, what: string, task: () => Promise<unknown>): void {
  const running = task().catch((err: unknown) => s.logger.error({ err, what }, 'background task failed'));
  pending.add(running);
  void running.finally(() => pending.delete(running));
}

/** Waits for background work still running (shutdown: let mails go out before the process ends). */
export async function drainBackground(): Promise<void> {
  while (pending.size) await Promise.allSettled([...pending]);
}

/**
 * Sends without making the caller wait: an answer then takes as long whichever mail goes (or whether a
 * notice over its limit goes nowhere), and a slow mail server does not hold the page. A failure is logged;
 * the caller has kept its data so the person can ask again.
 */
export function sendInBackground(s: Pick<Services, 'logger' | 'mailer'>, mail: Mail, what: string): void {
  inBackground(s, `mail: ${what}`, () => s.mailer.send(mail));
}
