import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { recordDatabaseTraits } from "../../src/db/database-traits.ts";
import type { Db } from "../../src/kernel/context.ts";
import { createMetrics } from "../../src/metrics/metrics.ts";
import { docFiles, ROOT, withoutFences } from "./markdown.ts";

// docs/metrics.md's table against the series a server registers: one row for each, with its labels, and no
// row for a series that does not exist. Every other doc may name only those series (a PromQL alert in
// operations.md, say). The registry is built over a database object nothing reads: no scrape runs here.

const docs = docFiles();
const metricsDoc = docs.find((d) => d.path === "docs/metrics.md")!;
// As a PostgreSQL pool that names its statements, whose series the embedded database does not have.
const db = {};
recordDatabaseTraits(db, {
  server: true,
  connections: 10,
  namedStatements: { naming: true, generation: 0, tablesChanged: () => {} },
});
const metrics = createMetrics(db as unknown as Db, pino({ level: "silent" }));
afterAll(() => metrics.close());

/**
 * Counters the HTTP server registers itself, beside what they count, rather than through createMetrics: the
 * refused connections beside its listener, the newer-schema refusals beside their hook.
 */
const SERVER_COUNTERS = [
  { file: "src/http/server.ts", name: "tokenbill_http_connections_refused_total" },
  { file: "src/http/newer-schema-refusal.ts", name: "tokenbill_http_newer_schema_refusals_total" },
];

/** What the tests read of a registered metric: prom-client's own declare labelNames, status-histogram.ts not. */
interface Registered {
  name: string;
  labelNames?: readonly string[];
  /** `counter`, `gauge`, `histogram`: prom-client's classes and status-histogram.ts set it alike. */
  type: string;
  get(): Promise<{ values: { labels: Record<string, unknown> }[] }>;
}

/** A series as the server registers it: its label names and its type (`counter`, `gauge`, `histogram`). */
interface Series {
  labels: string[];
  type: string;
}

/** The series of the server's registry: name → labels and type. */
async function registered(): Promise<Map<string, Series>> {
  // GetTokenPricing's histogram is tokenbill's own (status-histogram.ts): its label shows on a sample.
  metrics.pricingDuration.observe(200, 0.001);
  const series = new Map<string, Series>();
  for (const metric of metrics.registry.getMetricsAsArray() as unknown as Registered[]) {
    const declared = metric.labelNames;
    const sampled = async () =>
      [...new Set((await metric.get()).values.flatMap((v) => Object.keys(v.labels)))].filter(
        (l) => l !== "le",
      );
    series.set(metric.name, { labels: declared ? [...declared] : await sampled(), type: metric.type });
  }
  for (const { file, name } of SERVER_COUNTERS) {
    // `new Counter({ name: "…", …, labelNames: [...], … })`: the class is the type; labelNames, if any, inside.
    const options = new RegExp(`new (\\w+)\\(\\{\\s*name: "${name}",([^}]*)}`).exec(
      readFileSync(join(ROOT, file), "utf8"),
    );
    if (!options) continue;
    const labels = /labelNames: \[([^\]]*)\]/.exec(options[2]!)?.[1] ?? "";
    series.set(name, {
      labels: [...labels.matchAll(/"(\w+)"/g)].map((m) => m[1]!),
      type: options[1]!.toLowerCase(),
    });
  }
  return series;
}

/** The table's rows: name → labels and type. `| \`a_done\` / \`_total\` |` names two series. */
function documented(): Map<string, Series> {
  const rows = new Map<string, Series>();
  for (const line of withoutFences(metricsDoc.text).split("\n")) {
    const row = /^\| `(tokenbill_\w+)`(?: \/ `(_\w+)`)? \|([^|]*)\|([^|]*)\|/.exec(line);
    if (!row) continue;
    const series = { labels: [...row[4]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!), type: row[3]!.trim() };
    rows.set(row[1]!, series);
    if (row[2]) rows.set(row[1]!.replace(/_[a-z]+$/, row[2]), series);
  }
  return rows;
}

describe("the metrics the docs name", () => {
  it("has a row in docs/metrics.md for every series, with its labels, and none for a series that does not exist", async () => {
    const actual = await registered();
    const rows = documented();
    expect(actual.size).toBeGreaterThan(8);
    expect([...actual.keys()].filter((name) => !rows.has(name))).toEqual([]);
    expect([...rows.keys()].filter((name) => !actual.has(name))).toEqual([]);
    const labelsDiffer = [...rows].filter(
      ([name, { labels }]) =>
        [...labels].sort().join() !== [...(actual.get(name)?.labels ?? [])].sort().join(),
    );
    expect(labelsDiffer).toEqual([]);
  });

  it("gives each series in docs/metrics.md the type the server registers it with", async () => {
    const actual = await registered();
    const typeDiffers = [...documented()]
      .filter(([name, { type }]) => actual.has(name) && actual.get(name)!.type !== type)
      .map(
        ([name, { type }]) =>
          `${name}: the doc says ${type || "nothing"}, registered ${actual.get(name)!.type}`,
      );
    expect(typeDiffers).toEqual([]);
  });

  it("names in every doc only series that exist (a histogram's _bucket, _sum and _count included)", async () => {
    const actual = await registered();
    // Names that share the prefix and are no series: the jobs' NOTIFY channels, a restored database's name.
    const notSeries = new Set(["tokenbill_job", "tokenbill_tables", "tokenbill_copy"]);
    const unknown = docs.flatMap((doc) =>
      [...doc.text.matchAll(/\btokenbill_[a-z0-9_]*[a-z0-9]\b(?!\*)/g)]
        .map((m) => m[0])
        .filter((name) => !notSeries.has(name) && !/^tokenbill_(process|nodejs)_/.test(name))
        .filter((name) => !/_id$/.test(name))
        .filter((name) => !actual.has(name) && !actual.has(name.replace(/_(bucket|sum|count)$/, "")))
        .map((name) => `${doc.path}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });
});
