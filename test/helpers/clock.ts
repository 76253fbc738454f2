import type { Clock } from '../../src/clock.js';

/** A clock the test moves by hand. Starts at the real time so oidc-provider's own checks agree. */
export class TestClock implements Clock {
  private offset = 0;
  now(): number { return Date.now() + this.offset; }
  advance(ms: number): void { this.offset += ms; }
}

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;

/** A clock that stands still between advance() calls: a test that takes seconds of real time on a busy
 * machine must not see a delay run out in the middle of it. */
export class StillClock extends TestClock {
  private at = Date.now();
  override now(): number { return this.at; }
  override advance(ms: number): void { this.at += ms; }
}
