// A run's time as a fixed part plus a marginal cost a customer, from the two smallest sizes measured:
// wall = fixed + marginal × customers. The spread compares costs a customer, so a fixed part of each run (its
// set-up, each phase's first and last batches, each connection's first statements) weighs on the smallest size
// alone; these two figures tell that apart from a cost that grows with size (docs/performance.md, "The
// per-customer spread"). The largest size is left out of the fit: it runs for minutes, long enough for the
// machine's drift to move it by more than the whole fixed part.

export interface SizeTime {
  customers: number;
  /** The size's wall time in ms (the mean of its measurements). */
  runMs: number;
}

export interface FixedPart {
  fixedMs: number;
  /** µs a customer beyond the fixed part. */
  marginalUs: number;
}

/** undefined with fewer than two distinct sizes, where nothing can be told apart. */
export function fixedPart(sizes: SizeTime[]): FixedPart | undefined {
  const ordered = [...sizes].sort((a, b) => a.customers - b.customers);
  const [small, next] = ordered;
  if (!small || !next || next.customers === small.customers) return undefined;
  const marginalMs = (next.runMs - small.runMs) / (next.customers - small.customers);
  return { fixedMs: small.runMs - marginalMs * small.customers, marginalUs: marginalMs * 1000 };
}
