import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffRole } from "../../src/db/schema.ts";
import { createStaffUser } from "../../src/services/staff/staff-users.ts";
import { ConsoleClient, textOf } from "../../src/web/console/customer-test-client.ts";
import { cliContext, type SolusioHarness, startSolusioHarness } from "../helpers/solusio-harness.ts";

// What staff read of a SolusIO that fails, by role, outside the doctor's own lines: the dashboard's SolusIO
// health named the refused host and port to every role (until 2026-12-07), and a doctor line below admin
// said "SolusIO answered 503" in its detail and again in its fix.

let h: SolusioHarness;
const consoles = new Map<StaffRole, ConsoleClient>();

beforeAll(async () => {
  h = await startSolusioHarness();
  for (const role of ["admin", "billing", "support"] as const) {
    const input = { email: `failing-${role}@example.com`, role, password: `failing ${role} password` };
    await createStaffUser({ ctx: cliContext(h), input });
    consoles.set(role, await ConsoleClient.logIn(h.server.url, input.email, input.password));
  }
}, 60_000);
afterAll(async () => h?.close());

describe("a doctor line below admin with SolusIO answering 503", () => {
  it("says the status once, in the detail; an admin's fix still says it", async () => {
    await h.emu("POST", "/_emulator/faults", {
      // A wait longer than the client's own ends the call at once, without its retries.
      rules: [{ path: "/api/v1/settings*", error_rate: 1, error_status: 503, retry_after: 3600 }],
    });
    try {
      const tokenRights = async (role: StaffRole) => {
        const page = await consoles.get(role)!.get("/console/solusio");
        expect(page.status, role).toBe(200);
        const row = /<tr>(?:(?!<tr>)[\s\S])*?token rights[\s\S]*?<\/tr>/.exec(page.text)?.[0] ?? "";
        return row.replace(/<[^>]+>/g, " ");
      };
      for (const role of ["billing", "support"] as const) {
        const row = await tokenRights(role);
        expect(row, role).toContain("SolusIO answered 503");
        expect(row, role).toContain("failing or busy");
        expect(row.split("answered 503").length - 1, `${role}: ${row}`).toBe(1);
      }
      expect(await tokenRights("admin")).toContain("SolusIO answered 503: it is failing or busy");
    } finally {
      await h.emu("DELETE", "/_emulator/faults");
    }
  }, 30_000);
});

describe("the dashboard's SolusIO health with SolusIO refusing connections", () => {
  it("names the refused host and port to an admin only; billing and support read how it failed", async () => {
    const { host } = new URL(h.emulator.apiUrl);
    await h.emulator.close();
    const health = async (role: StaffRole) => {
      const page = await consoles.get(role)!.get("/console");
      expect(page.status, role).toBe(200);
      const section = /id="solusio-health"[\s\S]*?<\/section>/.exec(page.text)?.[0] ?? "";
      expect(textOf(page.text, "solusio-health"), role).toBe("unreachable");
      return section;
    };
    expect(await health("admin")).toContain(host);
    for (const role of ["billing", "support"] as const) {
      const section = await health(role);
      expect(section, role).toContain("no answer from SolusIO (ECONNREFUSED)");
      expect(section, role).not.toContain(host);
      expect(section, role).not.toMatch(/127\.0\.0\.1|localhost/);
    }
  }, 30_000);
});
