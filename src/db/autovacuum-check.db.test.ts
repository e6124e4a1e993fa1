import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { autovacuumWarning, warningFor } from "./autovacuum-check.ts";
import type { DatabaseHandle } from "./open-database.ts";

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("the autovacuum check at start", () => {
  it("says nothing when autovacuum is on, and names the fix when it is off", () => {
    expect(warningFor("on")).toBeUndefined();
    expect(warningFor("off")).toMatch(/autovacuum off.*turn autovacuum on, or run ANALYZE/);
  });

  it("reads the database's own setting", async () => {
    const setting = (
      await sql<{ setting: string }>`SELECT setting FROM pg_settings WHERE name = 'autovacuum'`.execute(
        handle.db,
      )
    ).rows[0]!.setting;
    expect(await autovacuumWarning(handle.db)).toBe(warningFor(setting));
  });
});
