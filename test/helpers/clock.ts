import type { Clock } from '../../src/clock.js';

/** A clock the test moves by hand. Starts at the real time so oidc-provider's own checks agree. */
export class TestClock implements Clock {
  private offset = 0;
  now(): number { return Date.now() + this.offset; }
  advance(ms: number): void { this.offset += ms; }
}

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;
