import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { solusioRoutes } from "../../src/http/routes/solusio-routes.ts";
import { actors } from "../../src/kernel/actor.ts";
import { createApiKey } from "../../src/services/api-keys/api-keys.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import type { ApiKeyRole, StaffRole } from "../../src/db/schema.ts";
import { ConsoleClient } from "../../src/web/console/customer-test-client.ts";
import { cliContext, type SolusioHarness, startSolusioHarness } from "../helpers/solusio-harness.ts";

// What the SolusIO doctor says of where SolusIO is, by role: an admin (staff or API key) reads the SolusIO it
// reached (its URL, masked, and SolusIO's admin e-mail), and the URLs of another SolusIO the database belongs
// to; billing and support read only whether SolusIO was reached and is the database's, as the settings page
// shows them only whether SOLUSIO_URL is set. Until 2026-12-07 every role read them. And the doctor's route
// checks a read role itself, not only behind the access layer.

/** Another SolusIO's address, for a database bound to it. */
const OTHER_SOLUSIO = "https://other-solusio.example/api/v1";

let h: SolusioHarness;
/** What no role below admin may read anywhere in the doctor's answer. */
let where: string[];
const keys = new Map<ApiKeyRole, string>();
const consoles = new Map<StaffRole, ConsoleClient>();

beforeAll(async () => {
  h = await startSolusioHarness();
  const account = await h.connection.api.account();
  // The user area's URL (the emulator's address without /api/v1) is another setting, shown to every role.
  where = [account.email, h.emulator.apiUrl, OTHER_SOLUSIO];
  const ctx = cliContext(h);
  for (const role of ["admin", "billing", "support"] as const) {
    const key = await createApiKey({ ctx, input: { name: `doctor ${role}`, role } });
    keys.set(role, key.key);
    const input = { email: `doctor-${role}@example.com`, role, password: `doctor ${role} password` };
    await createStaffUser({ ctx, input });
    consoles.set(role, await ConsoleClient.logIn(h.server.url, input.email, input.password));
  }
}, 60_000);
afterAll(async () => h?.close());

interface Check {
  name: string;
  detail: string;
}

async function doctorWithKey(role: ApiKeyRole): Promise<{ text: string; checks: Check[] }> {
  const r = await fetch(`${h.server.url}/api/v1/solusio/doctor?billing_user_ids=stored`, {
    headers: { authorization: `Bearer ${keys.get(role)}` },
  });
  expect(r.status, role).toBe(200);
  const text = await r.text();
  return { text, checks: (JSON.parse(text) as { data: Check[] }).data };
}

const detailOf = (checks: Check[], name: string) => checks.find((c) => c.name === name)?.detail;

describe("GET /api/v1/solusio/doctor by API key role", () => {
  it("names the SolusIO reached and its admin e-mail to an admin key", async () => {
    const { checks } = await doctorWithKey("admin");
    const connection = detailOf(checks, "connection") ?? "";
    expect(connection).toContain(h.emulator.apiUrl);
    expect(connection).toContain(where[0]);
  });

  for (const role of ["billing", "support"] as const)
    it(`says to a ${role} key only that SolusIO was reached`, async () => {
      const { text, checks } = await doctorWithKey(role);
      expect(detailOf(checks, "connection")).toBe("SolusIO was reached");
      for (const shown of where) expect(text, `${role}: ${shown}`).not.toContain(shown);
    });
});

describe("the console's SolusIO page's doctor by staff role", () => {
  const doctorTable = async (role: StaffRole) => {
    const page = await consoles.get(role)!.get("/console/solusio");
    expect(page.status, role).toBe(200);
    return /<table id="doctor">[\s\S]*?<\/table>/.exec(page.text)?.[0] ?? "";
  };

  it("names the SolusIO reached to an admin", async () => {
    const table = await doctorTable("admin");
    expect(table).toContain(h.emulator.apiUrl);
    expect(table).toContain(where[0]);
  });

  for (const role of ["billing", "support"] as const)
    it(`says to ${role} staff only that SolusIO was reached`, async () => {
      const table = await doctorTable(role);
      expect(table).toContain("SolusIO was reached");
      for (const shown of where) expect(table, `${role}: ${shown}`).not.toContain(shown);
    });
});

describe("a database bound to another SolusIO", () => {
  it("names both SolusIOs to an admin key, and says only that it is another one below admin", async () => {
    await h.db
      .insertInto("solusio_binding")
      .values({ kind: "solusio", api_url: OTHER_SOLUSIO, identity: "first-user:99:elsewhere" })
      .execute();
    try {
      expect(detailOf((await doctorWithKey("admin")).checks, "database binding")).toContain(OTHER_SOLUSIO);
      for (const role of ["billing", "support"] as const) {
        const { text, checks } = await doctorWithKey(role);
        expect(detailOf(checks, "database binding"), role).toMatch(
          /^this database belongs to another SolusIO/,
        );
        for (const shown of where) expect(text, `${role}: ${shown}`).not.toContain(shown);
      }
    } finally {
      await h.db.deleteFrom("solusio_binding").execute();
    }
  });
});

describe("the doctor's route handler", () => {
  it("refuses an actor without a read role before it calls SolusIO, whatever let the request through", async () => {
    const route = solusioRoutes.find((r) => r.url === "/api/v1/solusio/doctor")!;
    const ctx = { ...cliContext(h), solusio: h.integration, actor: actors.customer(1n) };
    await expect(
      route.handler({
        ctx,
        params: {},
        query: { billing_user_ids: "stored" },
        body: undefined,
        clientGone: new AbortController().signal,
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
