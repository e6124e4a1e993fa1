import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import { textOf } from "./customer-test-client.ts";
import { createStaffPerRole, PageClient } from "./pricing-test-client.ts";

// The console's create forms of API keys and staff users given what their fields do not offer (a role no select
// lists, an empty name, a control character): a 400 with the error beside the field, the form's text kept, and
// nothing created. A form walk once saw a 303 from one of them; these pin each field's refusal.

let handle: TestDatabase;
let server: TestServer;
let owner: PageClient;

beforeAll(async () => {
  handle = await createTestDatabase();
  await createStaffPerRole(handle, ["owner"]);
  server = await startTestServer(handle.db);
  owner = await new PageClient(server.url).logIn("owner@example.com");
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

async function keyCount(): Promise<number> {
  return countOf("api_key");
}

async function staffCount(): Promise<number> {
  return countOf("staff_user");
}

async function countOf(table: "api_key" | "staff_user"): Promise<number> {
  const row = await handle.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe("the API key form", () => {
  const refusals: [string, Record<string, string>, "name" | "role"][] = [
    ["a role no select offers", { name: "ci", role: "nope" }, "role"],
    ["an empty role", { name: "ci", role: "" }, "role"],
    ["the owner role, which no key has", { name: "ci", role: "owner" }, "role"],
    ["an empty name", { name: "", role: "support" }, "name"],
    ["a name of spaces", { name: "   ", role: "support" }, "name"],
    ["a control character in the name", { name: "ci\u0007bell", role: "support" }, "name"],
    ["a control character in the role", { name: "ci", role: "support\u0000" }, "role"],
  ];
  for (const [what, form, field] of refusals)
    it(`refuses ${what} beside the ${field} field, creating no key`, async () => {
      const before = await keyCount();
      const answer = await owner.submit("/console/api-keys", "/console/api-keys", form);
      expect(answer.status, answer.location ?? "").toBe(400);
      expect(textOf(answer.text, `${field}-error`)).toBeTruthy();
      expect(answer.text).toContain('id="new-h"');
      expect(await keyCount()).toBe(before);
    });
});

describe("the staff user form", () => {
  const refusals: [string, string][] = [
    ["a role no select offers", "nope"],
    ["an empty role", ""],
    ["a control character in the role", "support\u0007"],
  ];
  for (const [what, role] of refusals)
    it(`refuses ${what} beside the role field, creating no user`, async () => {
      const before = await staffCount();
      const email = `refused-${before}@example.com`;
      const answer = await owner.submit("/console/settings", "/console/settings/staff", {
        email,
        name: "Refused",
        role,
      });
      expect(answer.status, answer.location ?? "").toBe(400);
      expect(textOf(answer.text, "role-error")).toBeTruthy();
      expect(answer.text).toContain(`value="${email}"`);
      expect(await staffCount()).toBe(before);
    });
});
