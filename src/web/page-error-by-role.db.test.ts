import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { configuredSolusioApi } from "../billing/usage/configured-solusio.ts";
import { DatabaseUnreachableError } from "../db/database-outage.ts";
import { ServiceError } from "../kernel/errors.ts";
import { createCustomer } from "../services/customers/customers.ts";
import { assertNoSolusioServers } from "../services/customers/solusio-servers-guard.ts";
import { setPortalPassword } from "../services/portal-accounts/portal-accounts.ts";
import type { JsonReader } from "../solusio/follow-pages.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { listSolusioServers } from "../solusio/list-servers.ts";
import { listSolusioUsage } from "../solusio/list-usage.ts";
import { SolusioError } from "../solusio/solusio-error.ts";
import { cliContext, createStaffPerRole, PageClient } from "./console/pricing-test-client.ts";
import { PortalClient } from "./portal/testing/portal-fixtures.ts";

// The general error page when a page's verb meets an outside system that failed: below admin it says how the
// call failed (failureWords), never where the system is; an admin or owner reads the message, its URLs
// masked; a customer reads neither. Until 2026-12-07 every staff role read "SolusIO: connect ECONNREFUSED
// host:port" there.

const HOST = "solusio.internal.example:8443";
const SECRET_URL = "https://billing:hunter2secret@solusio.internal.example:8443/api/v1/users?token=abc";

let handle: TestDatabase;
let server: TestServer;
let customerId = "";
/** What the SolusIO side throws next, set by each test. */
let failure: Error = refused();

function refused(): SolusioError {
  const error = new SolusioError(`connect ECONNREFUSED ${HOST} (${SECRET_URL})`, null, true);
  error.noAnswer = { kind: "network", code: "ECONNREFUSED" };
  return error;
}

const failingSolusio: SolusioIntegration = {
  get connection(): never {
    throw failure;
  },
  limitGroupId: async () => undefined,
};

beforeAll(async () => {
  handle = await createTestDatabase();
  await createStaffPerRole(handle, ["owner", "admin", "billing", "support"]);
  const ctx = cliContext(handle);
  const customer = await createCustomer({
    ctx,
    input: { email: "refused@example.com", name: "Refused", country: "US", currency: "USD" },
  });
  customerId = String(customer.id);
  await setPortalPassword({
    ctx,
    input: { customer_id: BigInt(customer.id), password: "portal password 1" },
  });
  server = await startTestServer(handle.db, {}, { solusio: failingSolusio });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const clients = new Map<string, PageClient>();

/** The customer's page as a role reads it: drawing it asks SolusIO for the customer's user. */
async function customerPageAs(role: string) {
  let client = clients.get(role);
  if (!client) {
    client = await new PageClient(server.url).logIn(`${role}@example.com`);
    clients.set(role, client);
  }
  return client.get(`/console/customers/${customerId}`);
}

describe("the console's error page with SolusIO refusing connections", () => {
  it("tells billing and support how the call failed, not where SolusIO is", async () => {
    failure = refused();
    for (const role of ["billing", "support"]) {
      const answer = await customerPageAs(role);
      expect(answer.status, role).toBe(503);
      expect(answer.text, role).toContain("no answer from SolusIO (ECONNREFUSED)");
      expect(answer.text, role).not.toContain("solusio.internal.example");
      expect(answer.text, role).not.toContain("8443");
      expect(answer.text, role).not.toContain("hunter2secret");
    }
  });

  it("shows an admin and the owner the message, with its URL's credentials masked", async () => {
    failure = refused();
    for (const role of ["admin", "owner"]) {
      const answer = await customerPageAs(role);
      expect(answer.status, role).toBe(503);
      expect(answer.text, role).toContain(`connect ECONNREFUSED ${HOST}`);
      expect(answer.text, role).not.toContain("hunter2secret");
      expect(answer.text, role).not.toContain("token=abc");
    }
  });

  it("reads the database's failure whole to every role: its words are tokenbill's own, naming no address", async () => {
    // The address goes to the log with `cause`; the message's reason is one of database-outage.ts's own.
    failure = new DatabaseUnreachableError("connection refused", new Error(`connect ECONNREFUSED ${HOST}`));
    for (const role of ["support", "billing", "admin"] as const) {
      const answer = await customerPageAs(role);
      expect(answer.status, role).toBe(503);
      expect(answer.text, role).toContain(
        "the database: cannot be reached (connection refused); try again shortly",
      );
      expect(answer.text, role).not.toContain(HOST);
    }
  });

  it("words a verb's own UPSTREAM_UNAVAILABLE by role, as it can quote where a system is", async () => {
    failure = new ServiceError("UPSTREAM_UNAVAILABLE", `SolusIO at ${SECRET_URL} failed`);
    const support = await customerPageAs("support");
    expect(support.status).toBe(503);
    expect(support.text).not.toContain("solusio.internal.example");
    expect(support.text).toContain("an admin");
    const admin = await customerPageAs("admin");
    expect(admin.text).toContain(HOST);
    expect(admin.text).not.toContain("hunter2secret");
  });
});

/** What `run` throws: each verb's own error, as it words it. */
async function thrownBy(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("nothing was thrown");
}

/** Answers each GET with the next of `answers`, as SolusIO would. */
function readerOf(answers: unknown[]): JsonReader {
  return { getJson: async () => answers.shift() };
}

/** One usage item that validates (solusio-api.md §9 (a)), for a page that must be read whole. */
const usageItem = {
  server: { id: 1, uuid: "u-1", name: "s-1" },
  user: { id: 5, billing_user_id: "42" },
  plan: { id: 2, name: "1 Core", tokens_per_hour: 7, tokens_per_month: 5000 },
  period_start: "2026-10-01T00:00:00Z",
  period_end: "2026-11-01T00:00:00Z",
  created_at: "2026-10-01T00:00:00Z",
  deleted_at: null,
  hours: 744,
  tokens: 5000,
  charge: "monthly_cap",
  additional_ips: null,
};
const OCTOBER = { start: new Date("2026-10-01T00:00:00Z"), end: new Date("2026-11-01T00:00:00Z") };

describe("the console's error page with a verb's own UPSTREAM_UNAVAILABLE", () => {
  it("shows every staff role a verb's words written for staff whole, as the verb throws them", async () => {
    const written = [
      await thrownBy(async () => {
        const read = listSolusioUsage(
          readerOf([
            { data: [usageItem], meta: { last_page: 2, total: 2 } },
            { data: [usageItem], meta: { last_page: 2, total: 3 } },
          ]),
          OCTOBER,
          "billing/usage",
        );
        for await (const _ of read);
      }),
      await thrownBy(() => listSolusioServers(readerOf([{ data: "not a list" }]))),
      await thrownBy(async () =>
        configuredSolusioApi(
          cliContext(handle, { SOLUSIO_URL: "https://solusio.example/api/v1", SOLUSIO_API_TOKEN: "t" }),
        ),
      ),
    ];
    expect(written.map((e) => e.message)).toEqual([
      "SolusIO usage changed while it was read (total 2 then 3); run again",
      "SolusIO servers page 1 is not a list",
      "SolusIO is configured, but this process is not connected to it",
    ]);
    for (const each of written) {
      failure = each;
      for (const role of ["billing", "support", "admin"]) {
        const answer = await customerPageAs(role);
        expect(answer.status, `${role}: ${each.message}`).toBe(503);
        expect(answer.text, `${role}: ${each.message}`).toContain(each.message);
      }
    }
  });

  it("still tells billing and support only how the call failed when the verb's words quote SolusIO's", async () => {
    // The servers guard words a failed call around SolusIO's own message, here a URL with its credentials.
    failure = refused();
    const quoting = await thrownBy(() =>
      assertNoSolusioServers({ ...cliContext(handle), solusio: failingSolusio }, 1n, 7n),
    );
    expect(quoting.message).toContain(SECRET_URL);
    failure = quoting;
    for (const role of ["billing", "support"]) {
      const answer = await customerPageAs(role);
      expect(answer.status, role).toBe(503);
      expect(answer.text, role).toContain("a system tokenbill relies on failed");
      expect(answer.text, role).not.toContain("solusio.internal.example");
      expect(answer.text, role).not.toContain("hunter2secret");
    }
    const admin = await customerPageAs("admin");
    expect(admin.text).toContain("could not ask SolusIO whether");
    expect(admin.text).not.toContain("hunter2secret");
  });
});

describe("the portal's error page with SolusIO failing", () => {
  it("names neither SolusIO's host nor its message to a customer", async () => {
    const client = new PortalClient(server.url);
    await client.logIn("refused@example.com", "portal password 1");
    const refusal = refused();
    const named = new ServiceError("UPSTREAM_UNAVAILABLE", `SolusIO at ${SECRET_URL} failed`);
    for (const each of [refusal, named]) {
      failure = each;
      const answer = await client.get("/portal");
      expect(answer.status, each.message).toBe(503);
      expect(answer.text, each.message).toContain("This page is unavailable for a moment.");
      expect(answer.text, each.message).not.toContain("solusio.internal.example");
      expect(answer.text, each.message).not.toContain("ECONNREFUSED");
    }
  });
});
