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
  get(): Promise<{ values: { labels: Record<string, unknown> }[] }>;
}

/** The series of the server's registry: name → label names. */
async function registered(): Promise<Map<string, string[]>> {
  // GetTokenPricing's histogram is tokenbill's own (status-histogram.ts): its label shows on a sample.
  metrics.pricingDuration.observe(200, 0.001);
  const series = new Map<string, string[]>();
  for (const metric of metrics.registry.getMetricsAsArray() as unknown as Registered[]) {
    const declared = metric.labelNames;
    const sampled = async () =>
      [...new Set((await metric.get()).values.flatMap((v) => Object.keys(v.labels)))].filter(
        (l) => l !== "le",
      );
    series.set(metric.name, declared ? [...declared] : await sampled());
  }
  for (const { file, name } of SERVER_COUNTERS) {
    // The counter's options object: from its name to the closing brace; labelNames, if any, inside it.
    const options = new RegExp(`name: "${name}",([^}]*)}`).exec(readFileSync(join(ROOT, file), "utf8"));
    if (!options) continue;
    const labels = /labelNames: \[([^\]]*)\]/.exec(options[1]!)?.[1] ?? "";
    series.set(
      name,
      [...labels.matchAll(/"(\w+)"/g)].map((m) => m[1]!),
    );
  }
  return series;
}

/** The table's rows: name → label names. `| \`a_done\` / \`_total\` |` names two series. */
function documented(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of withoutFences(metricsDoc.text).split("\n")) {
    const row = /^\| `(tokenbill_\w+)`(?: \/ `(_\w+)`)? \|[^|]*\|([^|]*)\|/.exec(line);
    if (!row) continue;
    const labels = [...row[3]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
    rows.set(row[1]!, labels);
    if (row[2]) rows.set(row[1]!.replace(/_[a-z]+$/, row[2]), labels);
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
      ([name, labels]) => [...labels].sort().join() !== [...(actual.get(name) ?? [])].sort().join(),
    );
    expect(labelsDiffer).toEqual([]);
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
