/** Time as Porta sees it. Everything that expires asks a Clock, so tests move time instead of sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const epochSeconds = (clock: Clock) => Math.floor(clock.now() / 1000);
