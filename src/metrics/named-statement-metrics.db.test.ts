import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "../db/open-database.ts";
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
  let admin: DatabaseHandle;
  const schema = `tb_test_${randomBytes(6).toString("hex")}`;
  const handles: DatabaseHandle[] = [];
  const open = async (namedStatements: boolean) => {
    const handle = await openDatabase({ url: url!, schema, poolSize: 1, namedStatements });
    handles.push(handle);
    return handle;
  };

  beforeAll(async () => {
    admin = await openDatabase({ url: url!, poolSize: 1, namedStatements: false });
    await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
    await sql.raw(`CREATE TABLE ${schema}.probe (id int PRIMARY KEY, a text)`).execute(admin.db);
    await sql.raw(`INSERT INTO ${schema}.probe VALUES (1, 'one')`).execute(admin.db);
  });
  afterAll(async () => {
    for (const handle of handles) await handle.close();
    await sql.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).execute(admin.db);
    await admin?.close();
  });

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
    await sql.raw(`ALTER TABLE ${schema}.probe ADD COLUMN b int`).execute(admin.db);
    try {
      await read();
      expect(await gauges(on)).toEqual({ naming: 1, generation: 1 });
    } finally {
      await sql.raw(`ALTER TABLE ${schema}.probe DROP COLUMN b`).execute(admin.db);
    }
  });

  it("has no series when the pool does not name statements", async () => {
    expect(await gauges(await open(false))).toEqual({ naming: undefined, generation: undefined });
  });
});
