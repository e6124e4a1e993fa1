import type { KyselyPlugin } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { customerReader } from "./customer-reads.ts";

let handle: DatabaseHandle;
let ids: bigint[];
let selects = 0;
const countSelects: KyselyPlugin = {
  transformQuery: (args) => {
    if (args.node.kind === "SelectQueryNode") selects++;
    return args.node;
  },
  transformResult: async (args) => args.result,
};

beforeAll(async () => {
  handle = await createTestDatabase();
  const rows = await handle.db
    .insertInto("customer")
    .values(
      [1, 2, 3, 4].map((n) => ({
        email: `read${n}@example.com`,
        name: `Reader ${n}`,
        status: "active" as const,
        country: "DE",
        currency_code: "EUR",
        tax_exempt: false,
      })),
    )
    .returning("id")
    .execute();
  ids = rows.map((r) => r.id);
});
afterAll(async () => handle?.close());

describe("the sync jobs' customer reads", () => {
  it("reads a claim's customers in one statement when told of them, and each job's read takes its row", async () => {
    const reader = customerReader(handle.db.withPlugin(countSelects));
    selects = 0;
    reader.readAhead(ids.slice(0, 3));
    // Started one after another, in different turns of the event loop, as slots free.
    const emails: (string | undefined)[] = [];
    for (const id of ids.slice(0, 3)) {
      emails.push((await reader.read(id))?.email);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(emails).toEqual(["read1@example.com", "read2@example.com", "read3@example.com"]);
    expect(selects).toBe(1);
    // A row read ahead is taken once: a second read of the same customer reads it again, as it is now.
    await handle.db
      .updateTable("customer")
      .set({ email: "read1-new@example.com" })
      .where("id", "=", ids[0]!)
      .execute();
    expect((await reader.read(ids[0]!))?.email).toBe("read1-new@example.com");
    expect(selects).toBe(2);
  });

  it("gathers reads asked for in one turn into one statement, and answers undefined for a customer that is gone", async () => {
    const reader = customerReader(handle.db.withPlugin(countSelects));
    selects = 0;
    const rows = await Promise.all([reader.read(ids[2]!), reader.read(ids[3]!), reader.read(999_999n)]);
    expect(rows.map((r) => r?.email)).toEqual(["read3@example.com", "read4@example.com", undefined]);
    expect(selects).toBe(1);
  });

  it("reads again when the read ahead failed, instead of failing the job", async () => {
    let failNext = true;
    const flaky: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        if (failNext) {
          failNext = false;
          throw new Error("connection lost");
        }
        return args.result;
      },
    };
    const reader = customerReader(handle.db.withPlugin(flaky));
    reader.readAhead([ids[3]!]);
    expect((await reader.read(ids[3]!))?.email).toBe("read4@example.com");
    expect(failNext).toBe(false);
  });
});
