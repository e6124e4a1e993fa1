import { sql } from "kysely";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../db/open-database.ts";
import { probeSchema } from "../db/testing/probe-schema.ts";
import { createMetrics } from "./metrics.ts";
import { parseExposition, samplesOf } from "./testing-exposition.ts";

// The named-statement gauges on PostgreSQL (named-statement-metrics.ts): 1 while the pool names statements,
// 0 once a connection lost one (what a pooler in transaction mode does), the generation after a column
// change by another process; no series when the pool does not name statements.

const url = process.env["DATABASE_URL"];
const logger = pino({ level: "silent" });

async function gauges(handle: DatabaseHandle): Promise<{ naming?: number; generation?: number }> {
  const metrics = createMetrics(handle.db, logger);
  try {
    const samples = parseExposition((await metrics.scrape()).text);
    return {
      naming: samplesOf(samples, "tokenbill_db_named_statements")[0]?.value,
      generation: samplesOf(samples, "tokenbill_db_statement_name_generation")[0]?.value,
    };
  } finally {
    metrics.close();
  }
}

describe.runIf(url)("named statement metrics on PostgreSQL", () => {
  const { schema, alter, open } = probeSchema(url!, [[1, "one"]]);

  it("reads 1 while the pool names statements, and 0 once a connection lost one", async () => {
    const on = await open(true);
    const read = () => sql`SELECT a FROM probe WHERE id = ${1}`.execute(on.db);
    await read();
    expect(await gauges(on)).toEqual({ naming: 1, generation: 0 });
    await sql.raw("DEALLOCATE ALL").execute(on.db);
    await read();
    expect(await gauges(on)).toEqual({ naming: 0, generation: 0 });
  });

  it("counts the generations a column change by another process started", async () => {
    const on = await open(true);
    const read = () => sql`SELECT * FROM probe WHERE id = ${1}`.execute(on.db);
    await read();
    await alter(`ALTER TABLE ${schema}.probe ADD COLUMN b int`);
    try {
      await read();
      expect(await gauges(on)).toEqual({ naming: 1, generation: 1 });
    } finally {
      await alter(`ALTER TABLE ${schema}.probe DROP COLUMN b`);
    }
  });

  it("has no series when the pool does not name statements", async () => {
    expect(await gauges(await open(false))).toEqual({ naming: undefined, generation: undefined });
  });
});
