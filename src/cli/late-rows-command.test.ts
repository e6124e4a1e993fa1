import { describe, expect, it } from "vitest";
import { testCommandDataDir, tokenbillCommand } from "../../test/helpers/tokenbill-command.ts";
import { interleaved, lateOf } from "../billing/payments/testing/late-rows-fixtures.ts";
import { type DatabaseHandle, openDatabase } from "../db/open-database.ts";

// `tokenbill database late-rows`: housekeeping's pass over the statement's late ledger rows, run once by hand
// (with HOUSEKEEPING_INTERVAL_MS=0 no round runs it; docs/operations.md). Beside a running serve:
// test/processes/cli-beside-serve.test.ts.

async function withDatabase<T>(dataDir: string, work: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ dataDir });
  try {
    return await work(handle);
  } finally {
    await handle.close();
  }
}

describe("tokenbill database late-rows", () => {
  // Three commands, each a process that opens an embedded database: up to a minute on a busy machine.
  it("adds the late rows above the watermark and says what it read", { timeout: 180_000 }, async () => {
    const data = await testCommandDataDir();
    const { customer } = await withDatabase(data.dir, (h) => interleaved(h, "late-cli@example.com"));

    const first = await tokenbillCommand(["database", "late-rows"], { DATA_DIR: data.dir });
    expect(first).toMatchObject({ code: 0, stderr: expect.stringContaining("added to ledger_late_entry") });
    expect(first.stdout).toMatch(
      /^late rows: read \d+ balance rows above the watermark, 1 added; it is at ledger id \d+\n$/,
    );
    const late = await withDatabase(data.dir, (h) => lateOf(h.db, [customer]));
    expect(late.map((r) => r.amount)).toEqual([-500n]);

    const again = await tokenbillCommand(["database", "late-rows", "--json"], { DATA_DIR: data.dir });
    expect(again).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(again.stdout)).toEqual({
      read: expect.any(Number),
      added: 0,
      scanned_to: expect.any(Number),
    });
  });
});
