import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerInput, insertInvoice } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createCustomer } from "../../services/customers/customers.ts";
import { cliContext, createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// The console's pricing pages over real HTTP: lists, create and edit forms with the verbs' messages next to
// their fields, deleting only after a confirmation, the seed step 2 calculator, and the role checks of the
// verbs (support and billing may read pricing but not change it).

let handle: DatabaseHandle;
let server: TestServer;
let owner: PageClient;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  await createStaffPerRole(handle);
  owner = await new PageClient(server.url).logIn("owner@example.com");
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

describe("pricing overview and currencies", () => {
  it("shows every area with its count, and the seeded currencies in their own format", async () => {
    const overview = await owner.get("/console/pricing");
    expect(overview.status).toBe(200);
    expect(textOf(overview.text)).toMatch(/Currencies 2 /);
    const list = textOf((await owner.get("/console/pricing/currencies")).text);
    expect(list).toContain("USD 0.001 2 $1,234.50");
    expect(list).toContain("EUR 0.00091 2 €1,234.50");
  });

  it("creates a currency; a bad unit cost is refused next to its field and nothing is written", async () => {
    const bad = await owner.submit("/console/pricing/currencies/new", "/console/pricing/currencies", {
      code: "GBP",
      token_unit_cost: "0,0008",
      exponent: "2",
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(
      /aria-describedby="token_unit_cost-hint token_unit_cost-error"[\s\S]*id="token_unit_cost-error">Must be a decimal number/,
    );
    expect(bad.text).toContain('value="GBP"');
    expect((await server.api("GET", "/api/v1/currencies/GBP")).status).toBe(404);

    const made = await owner.submit("/console/pricing/currencies/new", "/console/pricing/currencies", {
      code: "gbp",
      token_unit_cost: "0.0008",
      exponent: "2",
      display_prefix: "£",
      thousands_separator: ",",
      decimals_separator: ".",
    });
    expect(made).toMatchObject({ status: 303, location: "/console/pricing/currencies?notice=created" });
    const api = await server.api("GET", "/api/v1/currencies/GBP");
    expect(api.body.data).toMatchObject({ code: "GBP", token_unit_cost: "0.0008", display_prefix: "£" });
    const list = await owner.get("/console/pricing/currencies?notice=created");
    expect(textOf(list.text)).toContain("Created.");
    expect(textOf(list.text)).toContain("GBP 0.0008 2 £1,234.50");
  });

  it("edits a currency with its values filled in, and a duplicate is a conflict above the form", async () => {
    const form = await owner.get("/console/pricing/currencies/GBP/edit");
    expect(form.text).toContain('value="0.0008"');
    expect(form.text).not.toContain('name="code"');
    const saved = await owner.submit(
      "/console/pricing/currencies/GBP/edit",
      "/console/pricing/currencies/GBP",
      {
        token_unit_cost: "0.00079",
        exponent: "2",
        display_prefix: "£",
        thousands_separator: ",",
        decimals_separator: ".",
      },
    );
    expect(saved).toMatchObject({ status: 303, location: "/console/pricing/currencies?notice=updated" });
    expect((await server.api("GET", "/api/v1/currencies/GBP")).body.data.token_unit_cost).toBe("0.00079");

    const twice = await owner.submit("/console/pricing/currencies/new", "/console/pricing/currencies", {
      code: "GBP",
      token_unit_cost: "0.0008",
      exponent: "2",
    });
    expect(twice.status).toBe(409);
    // Beside the code in the form's words; until 2026-12-06 the API's "currency GBP already exists" above it.
    expect(twice.text).toMatch(/id="code-error">The currency GBP exists already: edit that one instead\./);
    expect(twice.text).not.toContain("already exists");
  });
});

describe("a currency holding amounts", () => {
  it("keeps its exponent: the refusal is shown beside the field, and the API answers 409 naming it", async () => {
    const ctx = cliContext(handle);
    const customer = await createCustomer({
      ctx,
      input: customerInput({ email: "books@example.com", currency: "EUR" }),
    });
    await insertInvoice(handle.db, BigInt(customer.id));
    const fields = { token_unit_cost: "0.00091", display_prefix: "€", thousands_separator: "," };
    const refused = await owner.submit(
      "/console/pricing/currencies/EUR/edit",
      "/console/pricing/currencies/EUR",
      {
        ...fields,
        exponent: "0",
        decimals_separator: ".",
      },
    );
    expect(refused.status).toBe(409);
    expect(refused.text).toMatch(
      /id="exponent-error">Cannot change from 2 to 0 minor-unit digits: EUR already has invoices/,
    );

    const ambiguous = await owner.submit(
      "/console/pricing/currencies/EUR/edit",
      "/console/pricing/currencies/EUR",
      {
        ...fields,
        exponent: "2",
        decimals_separator: ",",
      },
    );
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.text).toMatch(/id="decimals_separator-error">Must differ from the thousands separator/);

    const api = await server.api("PATCH", "/api/v1/currencies/EUR", { exponent: 0 });
    expect([api.status, api.body.error.code, api.body.error.issues]).toEqual([
      409,
      "CONFLICT",
      [{ field: "exponent", message: expect.stringContaining("EUR already has invoices") }],
    ]);
    expect((await server.api("GET", "/api/v1/currencies/EUR")).body.data).toMatchObject({
      exponent: 2,
      decimals_separator: ".",
    });
  });
});

describe("plan prices and the calculator", () => {
  it("lists a plan price and shows the seed step 2 row beside it", async () => {
    const made = await owner.submit("/console/pricing/plans/new", "/console/pricing/plans", {
      plan_name: "1 Core, 1 GB RAM",
      tokens_per_hour: "7",
      tokens_per_month: "5000",
    });
    expect(made).toMatchObject({ status: 303, location: "/console/pricing/plans?notice=created" });
    const page = textOf((await owner.get("/console/pricing/plans")).text);
    expect(page).toContain("1 Core, 1 GB RAM 7 5,000 0 0");
    // 7 × 744 = 5,208 tokens = $5.21; the suggested round price 5,000 tokens = $5.00 (seed step 2).
    expect(page).toContain("7 5,208 $5.21 5,000 $5.00");
  });

  it("says after a plan price is saved that SolusIO bills its own price until setup is applied", async () => {
    const made = await server.api("POST", "/api/v1/plan-prices", {
      plan_name: "2 Cores, 4 GB RAM",
      tokens_per_hour: 20,
      tokens_per_month: 14000,
    });
    const edit = `/console/pricing/plans/${made.body.data.id}`;
    const saved = await owner.submit(`${edit}/edit`, edit, {
      plan_name: "2 Cores, 4 GB RAM",
      tokens_per_hour: "21",
      tokens_per_month: "15000",
    });
    expect(saved).toMatchObject({ status: 303, location: "/console/pricing/plans?notice=updated" });
    const html = (await owner.get(saved.location!)).text;
    const notice = /<p class="notice" role="status" id="notice">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? "";
    expect(notice).toBe(
      'Saved. SolusIO keeps billing this plan with its own price until the setup pushes the new one: <a href="/console/solusio">Apply setup on the SolusIO page</a>.',
    );
    // Other pricing lists' notice stays as it was: their rows reach SolusIO by no setup.
    const currencies = (await owner.get("/console/pricing/currencies?notice=updated")).text;
    expect(currencies).toMatch(/id="notice">Saved\.<\/p>/);
    await server.api("DELETE", `/api/v1/plan-prices/${made.body.data.id}`);
  });

  it("calculates figures typed in, in another currency, and names a bad figure", async () => {
    const usd = textOf((await owner.get("/console/pricing/plans?tph=7,14,21,28&currency=USD")).text);
    expect(usd).toContain("28 20,832 $20.83 20,000 $20.00");
    const eur = textOf((await owner.get("/console/pricing/plans?tph=7&currency=EUR")).text);
    expect(eur).toContain("7 5,208 €4.74");
    const bad = await owner.get("/console/pricing/plans?tph=7.5");
    expect(bad.status).toBe(200);
    // A sentence, as every other field's message (until 2026-12-05 "must be a whole number …" without a stop).
    expect(bad.text).toContain(
      'id="tph-error">Must be a whole number of tokens (got &quot;7.5&quot;); tokens are integers in SolusIO.</p>',
    );
    // Without a table there is no token unit cost to name (until 2026-12-05: "at  per token").
    expect(textOf(bad.text)).toContain("in the chosen currency at its token unit cost.");
  });

  it("refuses a fraction of a token next to its field", async () => {
    const bad = await owner.submit("/console/pricing/plans/new", "/console/pricing/plans", {
      plan_name: "Half",
      tokens_per_hour: "7.5",
      tokens_per_month: "0",
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="tokens_per_hour-error">/);
    expect((await server.api("GET", "/api/v1/plan-prices")).body.meta.total).toBe(1);
  });

  it("refuses a plan name that already has a price next to the name, saying so in words", async () => {
    // Until 2026-12-05 above the form: "plan price already exists (plan_price_plan_name_key)", and on an edit
    // "plan price 2 already exists", which named the price being edited.
    const taken = "The plan 1 Core, 1 GB RAM already has a price: edit that one instead.";
    const twice = await owner.submit("/console/pricing/plans/new", "/console/pricing/plans", {
      plan_name: "1 Core, 1 GB RAM",
      tokens_per_hour: "8",
      tokens_per_month: "6000",
    });
    expect(twice.status).toBe(409);
    expect(twice.text).toContain(`id="plan_name-error">${taken}</p>`);
    expect(twice.text).toContain('value="8"');
    const other = await server.api("POST", "/api/v1/plan-prices", {
      plan_name: "1 Core, 2 GB RAM",
      tokens_per_hour: 14,
      tokens_per_month: 10000,
    });
    const edit = `/console/pricing/plans/${other.body.data.id}`;
    const renamed = await owner.submit(`${edit}/edit`, edit, {
      plan_name: "1 Core, 1 GB RAM",
      tokens_per_hour: "14",
      tokens_per_month: "10000",
    });
    expect(renamed.status).toBe(409);
    expect(renamed.text).toContain(`id="plan_name-error">${taken}</p>`);
    await server.api("DELETE", `/api/v1/plan-prices/${other.body.data.id}`);
  });
});

describe("token prices beyond 2^53", () => {
  it("are shown and offered for editing with every digit, and the calculator refuses a month it cannot store", async () => {
    const huge = await server.api("POST", "/api/v1/plan-prices", {
      plan_name: "QA huge",
      tokens_per_hour: "9223372036854775807",
      tokens_per_month: "9007199254740993",
    });
    try {
      const page = textOf((await owner.get("/console/pricing/plans?tph=7")).text);
      expect(page).toContain("QA huge 9,223,372,036,854,775,807 9,007,199,254,740,993 0 0");
      // Opened without figures, the calculator starts from the plans it can price: until 2026-12-06 it was
      // prefilled with the huge one too, and opened on that figure's error.
      const opened = await owner.get("/console/pricing/plans");
      expect(opened.text).not.toContain('id="tph-error"');
      expect(opened.text).toMatch(/name="tph"[^>]* value="7"/);
      expect(textOf(opened.text)).toContain("7 5,208 $5.21 5,000 $5.00");
      // Until 2026-12-06 the form held 9223372036854776000, which saving refused as beyond 2^63 − 1.
      const edit = (await owner.get(`/console/pricing/plans/${huge.body.data.id}/edit`)).text;
      expect(edit).toContain('value="9223372036854775807"');
      expect(edit).toContain('value="9007199254740993"');
      const max = await owner.get("/console/pricing/plans?tph=12397005425880075&currency=USD");
      expect(textOf(max.text)).toContain(
        "12,397,005,425,880,075 9,223,372,036,854,775,800 $9,223,372,036,854,775.80 9,000,000,000,000,000,000",
      );
      const bad = await owner.get("/console/pricing/plans?tph=9223372036854775807");
      expect(bad.text).toContain(
        'id="tph-error">Must be at most 12397005425880075 (got 9223372036854775807)',
      );
    } finally {
      await server.api("DELETE", `/api/v1/plan-prices/${huge.body.data.id}`);
    }
  });
});

describe("client groups, discounts and tax rules", () => {
  let groupId = 0;

  it("creates a client group (escaped) and a discount for it", async () => {
    await owner.submit("/console/pricing/client-groups/new", "/console/pricing/client-groups", {
      name: "Resellers <b>",
      description: "",
    });
    const groups = await server.api("GET", "/api/v1/client-groups");
    groupId = groups.body.data[0].id;
    const list = await owner.get("/console/pricing/client-groups");
    expect(list.text).toContain("Resellers &lt;b&gt;");

    const made = await owner.submit("/console/pricing/discounts/new", "/console/pricing/discounts", {
      name: "Reseller discount",
      multiplier: "0.95",
      client_group_id: String(groupId),
      customer_id: "",
      position: "0",
    });
    expect(made.status).toBe(303);
    const discounts = textOf((await owner.get("/console/pricing/discounts")).text);
    expect(discounts).toContain(`Reseller discount 0.95 client group ${groupId} 0`);

    const bad = await owner.submit("/console/pricing/discounts/new", "/console/pricing/discounts", {
      name: "Too much",
      multiplier: "1.5",
      client_group_id: String(groupId),
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="multiplier-error">Must be at most 1\./);
  });

  it("creates a compound tax rule from rate lines, and names the line of a bad rate", async () => {
    const made = await owner.submit("/console/pricing/tax-rules/new", "/console/pricing/tax-rules", {
      name: "UK compound",
      rates: "City Tax = 6\r\nState Tax = 2 %",
      compound: "on",
      country: "gb",
      region: "",
    });
    expect(made.status).toBe(303);
    const rules = await server.api("GET", "/api/v1/tax-rules");
    expect(rules.body.data[0]).toMatchObject({
      name: "UK compound",
      compound: true,
      country: "GB",
      rates: [
        { label: "City Tax", rate: "6" },
        { label: "State Tax", rate: "2" },
      ],
    });
    const edit = await owner.get(`/console/pricing/tax-rules/${rules.body.data[0].id}/edit`);
    expect(edit.text).toContain("City Tax = 6\nState Tax = 2</textarea>");
    expect(edit.text).toMatch(/id="compound" name="compound" type="checkbox" value="on" checked/);

    const bad = await owner.submit("/console/pricing/tax-rules/new", "/console/pricing/tax-rules", {
      name: "Broken",
      rates: "VAT = 19\nCity = six",
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="rates-error">Line 2: must be a decimal number/);
    // A line without "=" is told the shape the form asks for (until 2026-12-06 "must be a decimal number
    // such as 0.95").
    const noEquals = await owner.submit("/console/pricing/tax-rules/new", "/console/pricing/tax-rules", {
      name: "Broken",
      rates: "VAT = 19\nCity Tax 6",
    });
    expect(noEquals.status).toBe(400);
    expect(noEquals.text).toMatch(
      /id="rates-error">Line 2: write each line as Label = percent, for example City Tax = 6\./,
    );
    expect(noEquals.text).toContain("VAT = 19\nCity Tax 6</textarea>");
    // The rates' line breaks are the form's; any other control character in them, or a line break in a field
    // of one line (a description is one line in the API too), shows the form again with the entry kept
    // without it and the field named (until 2026-12-06 the 400 error page, the entry lost).
    const bell = await owner.submit("/console/pricing/tax-rules/new", "/console/pricing/tax-rules", {
      name: "Bell\tRule",
      rates: "VAT = 19\r\nCity\u0007 = 6\nState\t= 2",
    });
    expect(bell.status).toBe(400);
    expect(bell.text).toContain('action="/console/pricing/tax-rules"');
    expect(bell.text).toMatch(/>VAT = 19\r?\nCity = 6\r?\nState = 2<\/textarea>/);
    expect(bell.text).toMatch(/id="rates-error">Held a control character/);
    expect(bell.text).toMatch(/id="name"[^>]* value="Bell Rule"/);
    expect(bell.text).toMatch(/id="name-error">Held a control character/);
    expect(bell.text).not.toContain("\u0007");
    const lines = await owner.submit("/console/pricing/client-groups/new", "/console/pricing/client-groups", {
      name: "Two lines",
      description: "one\r\ntwo",
    });
    expect(lines.status).toBe(400);
    expect(lines.text).toMatch(/id="description"[^>]* value="one two"/);
    expect(lines.text).toMatch(/id="description-error">Held a control character/);
    // An edit too: the currency's form again, the entry kept without the tab.
    const tabbed = await owner.submit(
      "/console/pricing/currencies/USD/edit",
      "/console/pricing/currencies/USD",
      {
        token_unit_cost: "0.001",
        exponent: "2",
        display_prefix: "$\t",
      },
    );
    expect(tabbed.status).toBe(400);
    expect(tabbed.text).toContain('action="/console/pricing/currencies/USD"');
    expect(tabbed.text).toMatch(/id="display_prefix"[^>]* value="\$ "/);
    expect(tabbed.text).toMatch(/id="display_prefix-error">Held a control character/);
    expect((await server.api("GET", "/api/v1/tax-rules")).body.meta.total).toBe(1);
    expect((await server.api("GET", "/api/v1/client-groups")).body.meta.total).toBe(1);
  });

  it("deletes only after the confirmation, and says why a group with customers stays", async () => {
    const ctx = cliContext(handle);
    await createCustomer({
      ctx,
      input: {
        email: "member@example.com",
        country: "GB",
        currency: "USD",
        client_group_id: groupId,
      } as never,
    });
    const confirm = await owner.get(`/console/pricing/client-groups/${groupId}/delete`);
    expect(confirm.status).toBe(200);
    expect(textOf(confirm.text)).toContain("Delete client group Resellers <b>?");
    expect((await server.api("GET", `/api/v1/client-groups/${groupId}`)).status).toBe(200);
    const refused = await owner.submit(
      `/console/pricing/client-groups/${groupId}/delete`,
      `/console/pricing/client-groups/${groupId}/delete`,
      {},
    );
    expect(refused.status).toBe(409);
    expect(refused.text).toMatch(/role="alert">client group \d+ still has customers/);

    const rule = (await server.api("GET", "/api/v1/tax-rules")).body.data[0].id;
    const gone = await owner.submit(
      `/console/pricing/tax-rules/${rule}/delete`,
      `/console/pricing/tax-rules/${rule}/delete`,
      {},
    );
    expect(gone).toMatchObject({ status: 303, location: "/console/pricing/tax-rules?notice=deleted" });
    expect((await server.api("GET", `/api/v1/tax-rules/${rule}`)).status).toBe(404);
  });
});

describe("roles", () => {
  it("lets support and billing read pricing but not change it", async () => {
    for (const role of ["support", "billing"]) {
      const staff = await new PageClient(server.url).logIn(`${role}@example.com`);
      expect((await staff.get("/console/pricing/currencies")).status).toBe(200);
      expect((await staff.get("/console/pricing/plans")).status).toBe(200);
      // The form says 403 as it opens; sent all the same (another page's CSRF token), the verb refuses it.
      expect((await staff.get("/console/pricing/currencies/new")).status).toBe(403);
      const refused = await staff.submit("/console/pricing/currencies", "/console/pricing/currencies", {
        code: "CHF",
        token_unit_cost: "0.001",
        exponent: "2",
      });
      expect(refused.status).toBe(403);
      expect(textOf(refused.text)).toContain(`the ${role} role may not do this`);
    }
    expect((await server.api("GET", "/api/v1/currencies/CHF")).status).toBe(404);
  });

  it("sends a visitor without a session to the login page", async () => {
    const anonymous = new PageClient(server.url);
    expect(await anonymous.get("/console/pricing/tax-rules")).toMatchObject({
      status: 303,
      location: "/console/login?next=%2Fconsole%2Fpricing%2Ftax-rules",
    });
  });
});
