import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { renderInvoiceHtml } from "./documents/render-invoice-html.ts";
import { getInvoice } from "./invoices/get-invoice.ts";
import { invoiceDocumentOf } from "./invoices/invoice-document-of.ts";
import { listInvoices } from "./invoices/list-invoices.ts";
import { runBilling } from "./runs/run-billing.ts";
import { billingContext, createSection4Customer } from "./testing/billing-fixtures.ts";
import { emulatorDriver } from "./testing/emulator-driver.ts";
import { emulatorIntegration } from "./testing/emulator-integration.ts";
import { pollServers } from "./usage/poll-servers.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";

// The golden test: billing-rules §4's example invoice end to end. The customer's three servers
// live in the SolusIO emulator while its clock moves through October 2026; tokenbill polls the server list
// along the way (usage source b), then bills the period from the usage endpoint (source a) with the
// snapshots as a cross-check, and the invoice is compared field by field.

let handle: DatabaseHandle;
let em: RunningEmulator;
let customerId: bigint;
let integration: SolusioIntegration;

beforeAll(async () => {
  handle = await createTestDatabase();
  customerId = await createSection4Customer(handle);
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-10-01T00:00:00Z"),
    seed: {
      plans: [
        { id: 1, name: "1 Core, 1 GB RAM", tokens_per_hour: 7, tokens_per_month: 5000 },
        { id: 2, name: "2 Cores, 4 GB RAM", tokens_per_hour: 28, tokens_per_month: 20000 },
      ],
      users: [{ id: 5, email: "section4@example.com", billing_user_id: Number(customerId) }],
    },
  });
});
afterAll(async () => {
  await integration?.connection.close();
  await em?.close();
  await handle?.close();
});

describe("billing-rules §4 golden invoice", () => {
  it("October 2026 in the emulator → INV-2026-000001 for $10.20, exactly as §4 computes it", async () => {
    const solusio = emulatorDriver(em);
    integration = emulatorIntegration(handle, em);
    const poll = async (now: Date) =>
      pollServers({ ctx: { ...billingContext(handle, {}, now), solusio: integration }, input: {} });

    const t0 = await solusio.at("2026-10-01T00:00:00Z");
    const web1 = await solusio.createServer({ name: "web-1", plan: 1, user: 5 });
    const web2 = await solusio.createServer({ name: "web-2", plan: 1, user: 5 });
    await poll(t0);
    const noon = await solusio.at("2026-10-15T12:00:00Z");
    const burst = await solusio.createServer({ name: "burst", plan: 2, user: 5 });
    await poll(noon);
    await solusio.at("2026-10-15T12:05:00Z");
    await solusio.deleteServer(burst);
    await poll(new Date("2026-10-15T12:05:00Z"));
    // Polls just before each deletion: the snapshot source knows a lifetime to one poll interval.
    await poll(await solusio.at("2026-10-30T03:59:00Z"));
    await solusio.at("2026-10-30T04:00:00Z");
    await solusio.deleteServer(web1);
    await poll(await solusio.at("2026-10-31T09:59:00Z"));
    await solusio.at("2026-10-31T10:00:00Z");
    await solusio.deleteServer(web2);
    const after = await solusio.at("2026-11-01T01:00:00Z");
    await poll(after);

    const ctx = {
      ...billingContext(
        handle,
        { SOLUSIO_URL: em.apiUrl, SOLUSIO_API_TOKEN: em.adminToken, USAGE_CROSS_CHECK: true },
        after,
      ),
      solusio: integration,
    };
    const summary = await runBilling({ ctx, input: { period: "2026-10" } });
    expect(summary).toMatchObject({
      state: "completed",
      source: "solusio",
      usage_records: 3,
      customers: 1,
      invoices: { created: 1, finalized: 1 },
      totals: [{ currency: "USD", invoices: 1, subtotal: 993n, discounts: 50n, taxes: 77n, total: 1020n }],
    });
    // SolusIO's figures, tokenbill's recomputation and the snapshots all agree.
    expect(summary.anomalies).toEqual({ total: 0, by_kind: {} });

    const [listed] = (await listInvoices({ ctx, input: { page: 1, per_page: 5, period: "2026-10" } })).data;
    const invoice = await getInvoice({ ctx, input: { id: listed!.id } });
    expect(invoice).toEqual({
      id: listed!.id,
      number: "INV-2026-000001",
      status: "finalized",
      customer_id: Number(customerId),
      period: "2026-10",
      period_start: "2026-10-01T00:00:00.000Z",
      period_end: "2026-11-01T00:00:00.000Z",
      customer: { name: "section4", email: "section4@example.com", country: "US", region: null },
      currency: {
        code: "USD",
        exponent: 2,
        display_prefix: "$",
        display_suffix: "",
        thousands_separator: ",",
        decimals_separator: ".",
      },
      base_token_unit_cost: "0.001",
      tokens: 9928n,
      subtotal: 993n,
      discounts: [{ name: "Special Client Group Discount", multiplier: "0.95", amount: 50n }],
      discount_total: 50n,
      net: 943n,
      taxes: [
        { label: "City Tax", rate: "6", amount: 57n },
        { label: "State Tax", rate: "2", amount: 20n },
      ],
      tax_compound: true,
      tax_exempt: false,
      tax_total: 77n,
      total: 1020n,
      amount_due: 1020n,
      issue_date: "2026-11-01",
      due_date: "2026-11-15",
      finalized_at: "2026-11-01T01:00:00.000Z",
      payment: null,
      void: null,
      billing_run_id: summary.run_id,
      created_at: "2026-11-01T01:00:00.000Z",
      updated_at: "2026-11-01T01:00:00.000Z",
      lines: [
        line(0, web1, "web-1", "1 Core, 1 GB RAM", "2026-10-30T04:00:00.000Z", 700n, "hourly", 4900n, 490n),
        line(
          1,
          web2,
          "web-2",
          "1 Core, 1 GB RAM",
          "2026-10-31T10:00:00.000Z",
          730n,
          "monthly_cap",
          5000n,
          500n,
        ),
        line(2, burst, "burst", "2 Cores, 4 GB RAM", "2026-10-15T12:05:00.000Z", 1n, "hourly", 28n, 3n),
      ].map((l, i) => (i === 2 ? { ...l, server_created_at: "2026-10-15T12:00:00.000Z" } : l)),
    });

    // What the renderings receive (src/billing/documents): the same figures, and the HTML shows the total.
    const document = invoiceDocumentOf(invoice, {
      name: "Example Hosting Ltd",
      addressLines: [],
      email: "b@example.com",
    });
    expect(document).toMatchObject({
      number: "INV-2026-000001",
      issueDate: "2026-11-01",
      dueDate: "2026-11-15",
      subtotal: 993n,
      discounts: [{ name: "Special Client Group Discount", amount: 50n }],
      net: 943n,
      total: 1020n,
    });
    expect(document.lines.map((l) => [l.description, l.tokens, l.amount])).toEqual([
      [`web-1 (server ${web1})`, 4900n, 490n],
      [`web-2 (server ${web2})`, 5000n, 500n],
      [`burst (server ${burst})`, 28n, 3n],
    ]);
    expect(renderInvoiceHtml(document)).toContain("$10.20");

    // The snapshot source alone computes the same invoice: a second run from it finds nothing different.
    const again = await runBilling({
      ctx: billingContext(handle, { USAGE_SOURCE: "snapshots" }, after),
      input: { period: "2026-10" },
    });
    expect(again).toMatchObject({
      source: "snapshots",
      invoices: { created: 0, already_present: 1 },
      anomalies: { total: 0 },
    });
  });
});

function line(
  position: number,
  id: number,
  name: string,
  plan: string,
  deletedAt: string,
  hours: bigint,
  charge: string,
  tokens: bigint,
  amount: bigint,
) {
  return {
    position,
    kind: "server",
    server: { id, uuid: expect.any(String), name },
    plan,
    plan_id: plan === "1 Core, 1 GB RAM" ? 1 : 2,
    backup_percent: null,
    server_created_at: "2026-10-01T00:00:00.000Z",
    server_deleted_at: deletedAt,
    quantity: 1n,
    hours,
    charge_kind: charge,
    tokens,
    recomputed_tokens: tokens,
    unit_cost: "0.001",
    amount,
  };
}
