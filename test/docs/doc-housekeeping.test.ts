import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KNOWN_KEYS } from "../../src/config/config-schema.ts";
import { parseConfig } from "../../src/config.ts";
import { docFiles, ROOT, withoutFences } from "./markdown.ts";

// docs/metrics.md's "Housekeeping" table against what src/app/housekeeping.ts trims: one row for each table
// it deletes from, none for a table it leaves alone, every RETENTION_* setting named with its default, and
// the indexes the batches read through, each a real index of a trimmed table (src/db/migrations).

const metricsDoc = docFiles().find((d) => d.path === "docs/metrics.md")!;
const housekeeping = withoutFences(metricsDoc.text)
  .split(/^## Housekeeping$/m)[1]!
  .split(/^## /m)[0]!;
const code = readFileSync(join(ROOT, "src/app/housekeeping.ts"), "utf8");
const defaults = parseConfig({}) as Record<string, unknown>;

/** The table's rows: `| done jobs (\`job\`) | \`RETENTION_JOBS_DAYS\` (30) after … | … |`. */
const rows = housekeeping
  .split("\n")
  .map((line) => /^\| [^|]*?\(`(\w+)`[^|]*\| `([A-Z_]+)` \((\d+)[^|]*\|/.exec(line))
  .filter((m) => m !== null)
  .map((m) => ({ table: m[1]!, key: m[2]!, written: m[3]! }));

/** Every index the migrations create: name → table. */
function migrationIndexes(): Map<string, string> {
  const dir = join(ROOT, "src/db/migrations");
  const indexes = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => /^\d+-.*\.ts$/.test(f)))
    for (const m of readFileSync(join(dir, file), "utf8").matchAll(
      /CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(\w+)\s+ON (\w+)/g,
    ))
      indexes.set(m[1]!, m[2]!);
  return indexes;
}

describe("docs/metrics.md's housekeeping", () => {
  const trimmed = [...new Set([...code.matchAll(/DELETE FROM (\w+)/g)].map((m) => m[1]!))];

  it("has a row for every table housekeeping trims, and none for a table it does not", () => {
    expect(trimmed.length).toBeGreaterThan(3);
    const documented = rows.map((row) => row.table);
    expect(trimmed.filter((table) => !documented.includes(table))).toEqual([]);
    expect(documented.filter((table) => !trimmed.includes(table))).toEqual([]);
  });

  it("names every retention setting, with the default the configuration applies", () => {
    const retention = KNOWN_KEYS.filter((key) => key.startsWith("RETENTION_"));
    expect(retention.filter((key) => !rows.some((row) => row.key === key))).toEqual([]);
    const wrong = rows
      .filter((row) => String(defaults[row.key]) !== row.written)
      .map((row) => `${row.key}: the doc says ${row.written}, the default is ${String(defaults[row.key])}`);
    expect(wrong).toEqual([]);
  });

  it("names, for every trimmed table, the index its batches read through", () => {
    const sentence = /finds its rows through\s+an index \(([^)]*)\)/.exec(housekeeping)?.[1] ?? "";
    const named = [...sentence.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
    const indexes = migrationIndexes();
    expect(named.filter((name) => !indexes.has(name))).toEqual([]);
    const covered = named.map((name) => indexes.get(name));
    expect(trimmed.filter((table) => !covered.includes(table))).toEqual([]);
  });
});
