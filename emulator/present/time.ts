/** SolusIO's timestamp format: microseconds and Z, e.g. 2019-08-27T13:04:39.000000Z (solusio-api.md §2). */
export function apiTimestamp(iso: string): string {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 23)}000Z`;
}

/** Period bounds as the usage endpoint echoes them: seconds precision, e.g. 2026-10-01T00:00:00Z. */
export function periodTimestamp(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}
