import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// An edit form of a pricing item sends its fields to the verb under `patch`, so the verb's refusal names
// `patch.tokens_per_month`. Until 2026-12-07 that path matched no field of the form: every edit's refusal
// (but a currency's) was said above the form as "Patch.tokens_per_month: must be …", and a tax rule's bad
// rate lost its line number. The create forms were right; an edit must say the same beside the field.

let handle: DatabaseHandle;
let server: TestServer;
let owner: PageClient;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  await createStaffPerRole(handle, ["owner"]);
  owner = await new PageClient(server.url).logIn("owner@example.com");
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

describe("a pricing edit form's refusal", () => {
  it("is said beside the plan price's field, in the create form's words, and saves nothing", async () => {
    const made = await server.api("POST", "/api/v1/plan-prices", {
      plan_name: "Edited plan",
      tokens_per_hour: 7,
      tokens_per_month: 5000,
    });
    const page = `/console/pricing/plans/${made.body.data.id}`;
    const bad = await owner.submit(`${page}/edit`, page, {
      plan_name: "Edited plan",
      tokens_per_hour: "7",
      tokens_per_month: "5500.5",
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="tokens_per_month-error">Must be a whole number of tokens/);
    expect(textOf(bad.text)).not.toContain("Patch.");
    expect((await server.api("GET", `/api/v1/plan-prices/${made.body.data.id}`)).body.data).toMatchObject({
      tokens_per_month: 5000,
    });
  });

  it("names the line of a tax rule's bad rate beside the rates", async () => {
    const made = await server.api("POST", "/api/v1/tax-rules", {
      name: "Edited rule",
      country: "FR",
      rates: [{ label: "VAT", rate: "20" }],
    });
    const page = `/console/pricing/tax-rules/${made.body.data.id}`;
    const bad = await owner.submit(`${page}/edit`, page, {
      name: "Edited rule",
      rates: "VAT = 20\nCity = six",
      country: "FR",
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="rates-error">Line 2: must be a decimal number/);
    expect(textOf(bad.text)).not.toContain("Patch.");
  });

  it("is said beside a discount's multiplier", async () => {
    const group = await server.api("POST", "/api/v1/client-groups", { name: "Edited group" });
    const made = await server.api("POST", "/api/v1/discounts", {
      name: "Edited discount",
      multiplier: "0.9",
      client_group_id: group.body.data.id,
    });
    const page = `/console/pricing/discounts/${made.body.data.id}`;
    const bad = await owner.submit(`${page}/edit`, page, {
      name: "Edited discount",
      multiplier: "1.5",
      client_group_id: String(group.body.data.id),
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="multiplier-error">Must be at most 1\./);
    expect(textOf(bad.text)).not.toContain("Patch.");
  });
});
