import type { Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import type { Database } from "../db/schema.ts";
import { waitUntil } from "../../test/helpers/wait-until.ts";
import { databaseCallRecorder, type SolusioCall } from "./call-log.ts";

// A call recorded while a batch is being written must be written too, however late in that write it comes:
// also in the few microtasks between the write's last look at the buffer and the batch's end, when it saw a
// write under way and started none of its own. Until 2026-12-07 such a call waited in the buffer for the next
// recorded call or close(), so an idle instance never wrote it. The database is a stand-in whose insert the
// test lets finish, so that the late call can be placed at each microtask of that window in turn.

const call = (path: string): SolusioCall => ({
  method: "GET",
  path,
  status: 200,
  durationMs: 1,
  attempt: 1,
  requestBody: undefined,
  error: null,
});

function gatedDatabase() {
  const written: string[] = [];
  const gates: Array<() => void> = [];
  const db = {
    insertInto: () => ({
      values: (rows: Array<{ path: string }>) => ({
        execute: () =>
          new Promise<void>((resolve) => {
            gates.push(() => {
              written.push(...rows.map((r) => r.path));
              resolve();
            });
          }),
      }),
    }),
  } as unknown as Kysely<Database>;
  return { db, written, gates };
}

async function microtasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

describe("the SolusIO call log", () => {
  it("writes a call recorded at any moment of a batch's write, without another call or close()", async () => {
    for (let late = 0; late <= 8; late++) {
      const { db, written, gates } = gatedDatabase();
      const recorder = databaseCallRecorder(db);
      recorder.record(call("/first"));
      await waitUntil("the first batch's insert", () => gates.length === 1);
      gates.shift()?.();
      await microtasks(late);
      recorder.record(call(`/late-${late}`));
      // A second insert is started for it; let it finish and look for the row.
      await waitUntil(
        `an insert of the call recorded ${late} microtasks after the first insert ended`,
        () => gates.length > 0,
        10_000,
      );
      while (gates.length > 0) gates.shift()?.();
      await recorder.flush();
      expect(written).toEqual(["/first", `/late-${late}`]);
    }
  });
});
