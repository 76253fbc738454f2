/** Output: aligned columns for people, one JSON document for scripts. */
import type { Writable } from './context.js';

export function printJson(out: Writable, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function printTable(out: Writable, headers: string[], rows: string[][]): void {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  for (const row of all) {
    const cells = row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)));
    out.write(`${cells.join('  ').trimEnd()}\n`);
  }
}

/** Epoch milliseconds as an ISO date-time to the second. */
export const isoTime = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** A cell for a value that may be missing. */
export const cell = (value: string | null | undefined) => (value === null || value === undefined || value === '' ? '-' : value);
