import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { solusioRoutes } from "../../src/http/routes/solusio-routes.ts";
import { actors } from "../../src/kernel/actor.ts";
import { parseConfig } from "../../src/config.ts";
import { createApiKey } from "../../src/services/api-keys/api-keys.ts";
import { pricingUrl } from "../../src/services/setup/pricing-url.ts";
import { applySetup, planSetup } from "../../src/services/setup/plan-setup.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import type { ApiKeyRole, StaffRole } from "../../src/db/schema.ts";
import { ConsoleClient } from "../../src/web/console/customer-test-client.ts";
import { TEST_ADMIN_KEY } from "../helpers/test-server.ts";
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

describe("every line of the doctor below admin", () => {
  /** Each line as the reader gets it: a check's name, detail and fix (API), or the page's text (console). */
  const linesOf = {
    key: async (role: ApiKeyRole) =>
      (await doctorWithKey(role)).checks.map(
        (c) => `${c.name}: ${c.detail} ${(c as { fix?: string }).fix ?? ""}`,
      ),
    staff: async (role: StaffRole) => {
      const page = await consoles.get(role)!.get("/console/solusio");
      expect(page.status, role).toBe(200);
      const main = /<main[\s\S]*?<\/main>/.exec(page.text)?.[0] ?? "";
      return main.split(/<tr>|<li>|<p[ >]/);
    },
  };
  /** Anything that says where a system is: a URL of any scheme, a loopback host, a host:port in use. */
  const whereIn = (line: string, hosts: string[]) =>
    [/[a-z][a-z0-9+.-]*:\/\//i, /127\.0\.0\.1|localhost/i].some((re) => re.test(line)) ||
    [...hosts, where[0]!].some((w) => line.includes(w));

  it("names no URL, host nor SolusIO's admin to a billing or support key or staff member, before setup, after it and with SolusIO failing; an admin reads them", async () => {
    // The server's own configuration (PORT 0), so that setup points SolusIO at the GetTokenPricing URL the
    // server's doctor checks for, and the billing integration line names it to an admin.
    const config = parseConfig({ LOG_LEVEL: "silent", TOKENBILL_ADMIN_API_KEY: TEST_ADMIN_KEY, PORT: 0 });
    const hosts = [h.emulator.apiUrl, h.emulator.url, h.server.url, pricingUrl(config)].map(
      (u) => new URL(u).host,
    );
    const deps = {
      db: h.db,
      api: h.connection.api,
      config,
      apiUrl: h.emulator.apiUrl,
      userAreaUrl: h.emulator.url,
    };
    // Each state of SolusIO makes other lines speak: a billing integration missing (its fix names the URL to
    // set), one calling tokenbill (its detail names the URL), and SolusIO's reads failing past the connection.
    const states: [string, () => Promise<unknown>][] = [
      ["before setup", async () => {}],
      ["after setup", async () => applySetup(await planSetup(deps))],
      [
        "with SolusIO failing past the connection",
        async () =>
          h.emu("POST", "/_emulator/faults", {
            rules: ["settings", "limit_groups", "plans", "users"].map((path) => ({
              path: `/api/v1/${path}*`,
              error_rate: 1,
              error_status: 503,
              // A wait longer than the client's own ends each call at once, without its retries.
              retry_after: 3600,
              error_body: "html",
            })),
          }),
      ],
    ];
    try {
      for (const [state, arrange] of states) {
        await arrange();
        // An admin reads where each system is, on the lines that name one.
        const admin = (await linesOf.key("admin")).filter((l) => whereIn(l, hosts));
        const named = ["connection", "user area", "GetTokenPricing"];
        if (!state.includes("failing")) named.push("billing integration");
        expect(
          admin.map((l) => l.slice(0, l.indexOf(":"))),
          `admin ${state}`,
        ).toEqual(expect.arrayContaining(named));
        expect(
          (await linesOf.staff("admin")).filter((l) => whereIn(l, hosts)),
          state,
        ).not.toEqual([]);
        for (const role of ["billing", "support"] as const) {
          for (const [reader, lines] of [
            [`${role} key`, await linesOf.key(role)],
            [`${role} staff`, await linesOf.staff(role)],
          ] as const) {
            expect(lines.length, `${reader} ${state}`).toBeGreaterThan(5);
            expect(
              lines.filter((l) => whereIn(l, hosts)),
              `${reader} ${state}`,
            ).toEqual([]);
          }
        }
      }
    } finally {
      await h.emu("DELETE", "/_emulator/faults");
    }
  }, 60_000);
});
