// GetTokenPricing answers are cached per customer for a short, configured time (PRICING_CACHE_TTL_MS).
// Every admin change made through this instance clears the cache at once; a change made through another
// instance on the same database is seen here within the TTL. That TTL is the documented staleness bound.

interface Entry<T> {
  value: T;
  expiresAt: number;
}

export class PricingCache<T = string> {
  private entries = new Map<string, Entry<T>>();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  get(key: string): T | undefined {
    if (this.ttlMs <= 0) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** The generation lets a reader that started before a clear() avoid storing a stale value after it. */
  currentGeneration(): number {
    return this.generation;
  }

  set(key: string, value: T, generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.generation) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, expiresAt: this.clock() + this.ttlMs });
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
