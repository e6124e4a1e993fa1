import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// A customer's client group (which discounts apply to them) is chosen on the customer's new and edit forms
// and shown on its page. Until 2026-12-07 neither form had the field and the page did not say it: a clerk
// could make a group and its discount in the console, but put nobody in it without the admin API.

let handle: DatabaseHandle;
let server: TestServer;
let owner: PageClient;
let groupId: number;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  await createStaffPerRole(handle, ["owner"]);
  owner = await new PageClient(server.url).logIn("owner@example.com");
  groupId = (await server.api("POST", "/api/v1/client-groups", { name: "Resellers <b>" })).body.data.id;
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const customerForm = { email: "grouped@example.com", name: "Grouped", country: "GB", currency: "USD" };

describe("a customer's client group in the console", () => {
  it("is offered by name on the new customer form, saved, and shown on the customer's page", async () => {
    const form = await owner.get("/console/customers/new");
    expect(form.text).toContain(`<option value="${groupId}">Resellers &lt;b&gt;</option>`);
    const made = await owner.submit("/console/customers/new", "/console/customers/new", {
      ...customerForm,
      client_group_id: String(groupId),
    });
    expect(made.status).toBe(303);
    const id = /\/console\/customers\/(\d+)/.exec(made.location ?? "")?.[1];
    const api = await server.api("GET", `/api/v1/customers/${id}`);
    expect(api.body.data.client_group_id).toBe(groupId);
    expect(textOf((await owner.get(`/console/customers/${id}`)).text)).toContain(
      "Client group Resellers <b>",
    );
  });

  it("is changed and taken away on the edit form, which shows the one chosen", async () => {
    const id = (await server.api("GET", "/api/v1/customers?email=grouped%40example.com")).body.data[0].id;
    const edit = await owner.get(`/console/customers/${id}/edit`);
    expect(edit.text).toContain(`<option value="${groupId}" selected>`);
    const cleared = await owner.submit(`/console/customers/${id}/edit`, `/console/customers/${id}/edit`, {
      ...customerForm,
      client_group_id: "",
    });
    expect(cleared.status).toBe(303);
    expect((await server.api("GET", `/api/v1/customers/${id}`)).body.data.client_group_id).toBeNull();
    expect(textOf((await owner.get(`/console/customers/${id}`)).text)).toContain("Client group none");
  });

  it("refuses a group that does not exist beside the field, and saves nothing", async () => {
    const id = (await server.api("GET", "/api/v1/customers?email=grouped%40example.com")).body.data[0].id;
    const bad = await owner.submit(`/console/customers/${id}/edit`, `/console/customers/${id}/edit`, {
      ...customerForm,
      client_group_id: "999999",
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="client_group_id-error">No client group with id 999999/);
    expect((await server.api("GET", `/api/v1/customers/${id}`)).body.data.client_group_id).toBeNull();
  });
});
