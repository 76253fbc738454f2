/** Medians of repeated runs. */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The median of every numeric field over runs (each field on its own); `failed` is summed. */
export function medianOf<T extends object>(runs: T[]): T {
  const out: Record<string, unknown> = { ...runs[0] };
  for (const [k, v] of Object.entries(runs[0]!)) {
    const values = runs.map((r) => (r as Record<string, number>)[k]!);
    if (typeof v === 'number') out[k] = k === 'failed' ? values.reduce((a, b) => a + b, 0) : median(values);
  }
  return out as T;
}
