// Numbers in the CLI's JSON lines as the documentation shows them (`"startMs":120.0`).

/** One decimal, never "-0.0"; null for a value JSON cannot hold. */
export function jsonFixed1(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  const text = value.toFixed(1);
  return text === '-0.0' ? '0.0' : text;
}
