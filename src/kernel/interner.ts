/**
 * Keeps one copy of each value that repeats across many records (a country code, a currency, a client
 * group's id, a serialized answer), so that a million records hold a million references to a few values
 * instead of a million copies: node-postgres makes a new string or bigint for every field of every row.
 * Bounded: past `limit` distinct values a new one is returned as it is, so values that do not repeat cannot
 * make it grow without end. Strings and bigints compare by value in a Map, so either can be interned.
 */
export class Interner<T extends string | bigint> {
  private readonly held = new Map<T, T>();

  constructor(private readonly limit: number) {}

  of(value: T): T {
    const held = this.held.get(value);
    if (held !== undefined) return held;
    if (this.held.size < this.limit) this.held.set(value, value);
    return value;
  }

  /** Forgets every value: for when the records that shared them are replaced wholesale. */
  clear(): void {
    this.held.clear();
  }

  get size(): number {
    return this.held.size;
  }
}
