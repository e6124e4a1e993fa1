import pg from "pg";

// With --statements: every statement the run sends through node-postgres, grouped by its first words, with
// its count and time (time waited on the database, so overlapping statements add up past the wall time).

interface Tally {
  count: number;
  ms: number;
}

const tallies = new Map<string, Tally>();

function keyOf(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 90);
}

/** Starts counting; call before the run. */
export function profileStatements(): void {
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === "string" ? first : ((first as { text?: string })?.text ?? "?");
    const started = performance.now();
    const result = original.apply(this, args);
    const done = () => {
      const t = tallies.get(keyOf(text)) ?? { count: 0, ms: 0 };
      t.count++;
      t.ms += performance.now() - started;
      tallies.set(keyOf(text), t);
    };
    if (result && typeof (result as Promise<unknown>).then === "function") {
      (result as Promise<unknown>).then(done, done);
    }
    return result;
  } as typeof pg.Client.prototype.query;
}

/** The statements counted so far, most time first, and clears them. */
export function statementReport(customers: number): string {
  const rows = [...tallies.entries()].sort((a, b) => b[1].ms - a[1].ms);
  tallies.clear();
  const total = rows.reduce((s, [, t]) => s + t.count, 0);
  return [
    `statements: ${total} (${(total / customers).toFixed(2)} per customer)`,
    ...rows.map(
      ([k, t]) => `  ${t.count.toString().padStart(7)} × ${(t.ms / 1000).toFixed(2).padStart(7)} s  ${k}`,
    ),
  ].join("\n");
}
