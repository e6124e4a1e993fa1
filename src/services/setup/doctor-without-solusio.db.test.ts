import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { interleaved } from "../../billing/payments/testing/late-rows-fixtures.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { SolusioApi } from "../../solusio/solusio-api.ts";
import type { SolusioClient } from "../../solusio/solusio-client.ts";
import { REFUSED_SOLUSIO_URL, refusedSolusioClient } from "../../solusio/testing/refused-solusio.ts";
import { runDoctor } from "./doctor.ts";

// The doctor's lines that read only tokenbill's database are said with SolusIO out of reach too: until
// 2026-12-07 it ended at the failed connection, so the statement late rows line went unsaid exactly when an
// operator ran the doctor to see what a SolusIO outage left behind.

let handle: DatabaseHandle;
let client: SolusioClient;
const apiUrl = REFUSED_SOLUSIO_URL;
beforeAll(async () => {
  handle = await createTestDatabase();
  client = refusedSolusioClient();
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
