import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { interleaved } from "../../billing/payments/testing/late-rows-fixtures.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { SolusioApi } from "../../solusio/solusio-api.ts";
import { SolusioClient } from "../../solusio/solusio-client.ts";
import { runDoctor } from "./doctor.ts";

// The doctor's lines that read only tokenbill's database are said with SolusIO out of reach too: until
// 2026-12-07 it ended at the failed connection, so the statement late rows line went unsaid exactly when an
// operator ran the doctor to see what a SolusIO outage left behind.

let handle: DatabaseHandle;
let client: SolusioClient;
let apiUrl: string;
beforeAll(async () => {
  handle = await createTestDatabase();
  // A port just freed: the connection is refused.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  apiUrl = `http://127.0.0.1:${port}/api/v1`;
  client = new SolusioClient({ baseUrl: apiUrl, token: "t", maxRetries: 0 });
});
afterAll(async () => {
  await client?.close();
  await handle?.close();
});

const doctor = (billingUserIds: "walk" | "stored") =>
  runDoctor({
    db: handle.db,
    api: new SolusioApi(client),
    config: parseConfig({}),
    apiUrl,
    userAreaUrl: apiUrl.replace("/api/v1", ""),
    billingUserIds,
  });

describe("the doctor with SolusIO unreachable", () => {
  it("still says the statement late rows line, and the stored billing user ids", async () => {
    const { customer } = await interleaved(handle, "doctor-no-solusio@example.com");
    const checks = await doctor("walk");
    expect(checks.map((c) => c.name)).toEqual([
      "connection",
      "statement late rows",
      "payment provider events",
    ]);
    expect(checks[0]).toMatchObject({ ok: false });
    expect(checks[1]).toMatchObject({ ok: false });
    expect(checks[1]!.detail).toContain(`customer(s) ${customer} show`);

    const stored = await doctor("stored");
    expect(stored.map((c) => c.name)).toEqual([
      "connection",
      "billing user ids",
      "statement late rows",
      "payment provider events",
    ]);
  });
});
