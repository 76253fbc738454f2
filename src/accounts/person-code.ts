/**
 * Person codes: 8 digits, the last a Damm check digit, so a mistyped digit or two swapped neighbours
 * are caught before any lookup. The first digit is never 0 (spreadsheets drop leading zeros).
 */
import { randomInt } from 'node:crypto';

// Damm's totally anti-symmetric quasigroup of order 10.
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3], [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6], [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7], [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

function dammDigit(digits: string): number {
  let interim = 0;
  for (const d of digits) interim = DAMM[interim]![Number(d)]!;
  return interim;
}

export function generatePersonCode(): string {
  const body = String(randomInt(1_000_000, 10_000_000));
  return body + String(dammDigit(body));
}

export function isPersonCode(value: string): boolean {
  return /^[1-9]\d{7}$/.test(value) && dammDigit(value) === 0;
}
