import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import type { UsageRecord } from "../domain/usage-record.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { spawnSync } from "node:child_process";
import { renderInvoiceHtml } from "./documents/render-invoice-html.ts";
import { renderInvoicePdf } from "./documents/render-invoice-pdf.ts";
import { getInvoice } from "./invoices/get-invoice.ts";
import { invoiceDocumentOf } from "./invoices/invoice-document-of.ts";
import { listInvoices } from "./invoices/list-invoices.ts";
import { runBilling } from "./runs/run-billing.ts";
import { billingContext, createSection4Customer, OCTOBER } from "./testing/billing-fixtures.ts";
import { emulatorDriver } from "./testing/emulator-driver.ts";
import { emulatorIntegration } from "./testing/emulator-integration.ts";
import { pollActivity } from "./usage/poll-activity.ts";
import { pollServers } from "./usage/poll-servers.ts";
import { SnapshotUsageSource } from "./usage/snapshot-usage-source.ts";

// billing-rules §2.2's worked examples end to end: five servers live through October 2026 in the SolusIO
// emulator (resizes, IPs, backups on its clock); tokenbill polls GET servers right after each change (source
// b, stamped with the emulator's Date header) and reads the activity log (source c); the month is billed
// from the usage endpoint (source a) with (b)+(c) as cross-check, and every source gives the same lines.

let handle: DatabaseHandle;
let em: RunningEmulator;
let customerId: bigint;
let integration: SolusioIntegration;

const HOUR = 3_600_000;
const iso = (hours: number) => new Date(Date.parse("2026-10-01T00:00:00Z") + hours * HOUR).toISOString();

beforeAll(async () => {
  handle = await createTestDatabase();
  customerId = await createSection4Customer(handle, "resizes@example.com");
  em = await startEmulator({
    port: 0,
    logger: false,
    now: new Date("2026-10-01T00:00:00Z"),
    seed: {
      plans: [
        {
          id: 1,
          name: "1 Core",
          tokens_per_hour: 7,
          tokens_per_month: 5000,
          ip_tokens_per_hour: 1,
          ip_tokens_per_month: 500,
          is_backup_available: true,
          is_additional_ips_available: true,
          backup_price: 10,
        },
        { id: 2, name: "2 Cores", tokens_per_hour: 14, tokens_per_month: 10000 },
      ],
      users: [{ id: 5, email: "resizes@example.com", billing_user_id: Number(customerId) }],
    },
  });
  integration = emulatorIntegration(handle, em);
});
afterAll(async () => {
  await integration?.connection.close();
  await em?.close();
  await handle?.close();
});

/** What two sources must agree on, per server and plan. */
function essentials(r: UsageRecord) {
  return {
    server: r.server.id,
    plan: r.plan.id,
    hours: r.hours,
    tokens: r.tokens,
    charge: r.charge,
    ips: [r.additionalIps.count, r.additionalIps.hours, r.additionalIps.tokens],
    backups: r.backups ? [r.backups.hours, r.backups.tokens] : null,
  };
}

/** The PDF's text through poppler's pdftotext; null where it is not installed (CI installs it). */
function pdfText(pdf: Buffer): string | null {
  const out = spawnSync("pdftotext", ["-layout", "-", "-"], { input: pdf });
  return out.error ? null : out.stdout.toString("utf8");
}

async function usageFrom(records: AsyncIterable<UsageRecord>) {
  const found = [];
  for await (const r of records) found.push(essentials(r));
  return found;
}

describe("billing-rules §2.2 end to end through the emulator", () => {
  it("bills resizes, IPs and backups as §2.2 computes them, from every usage source alike", async () => {
    const solusio = emulatorDriver(em);
    const ctxAt = (now: Date) => ({ ...billingContext(handle, {}, now), solusio: integration });
    // tokenbill's own clock is far from the emulator's: each sighting must carry SolusIO's time (its Date
    // header), or the snapshots would bill nonsense.
    const tokenbillNow = new Date("2027-03-01T00:00:00Z");
    const poll = async (hours: number) => {
      await solusio.at(iso(hours));
      const { at } = await pollServers({ ctx: ctxAt(tokenbillNow), input: {} });
      expect(at.toISOString()).toBe(iso(Math.floor(hours * 3600) / 3600).replace(/\.\d{3}Z$/, ".000Z"));
    };

    await solusio.at(iso(0));
    const a = await solusio.createServer({ name: "resized", plan: 1, user: 5 });
    const b = await solusio.createServer({ name: "short", plan: 1, user: 5 });
    const c = await solusio.createServer({ name: "backed-up", plan: 1, user: 5 });
    await solusio.switchBackups(c, true);
    const d = await solusio.createServer({ name: "some-backups", plan: 1, user: 5 });
    const e = await solusio.createServer({ name: "two-ips", plan: 1, user: 5, additional_ip_count: 1 });
    await poll(0);
    await solusio.at(iso(10.5));
    await solusio.resize(b, 2);
    await poll(10.5);
    await poll(12 + 10 / 60); // the last sighting of b, just before it goes
    await solusio.deleteServer(b);
    await solusio.at(iso(200));
    await solusio.switchBackups(d, true);
    await poll(200);
    await poll(299.5);
    await solusio.at(iso(300));
    await solusio.deleteServer(d);
    await solusio.at(iso(400));
    await solusio.resize(a, 2);
    await poll(400);
    await solusio.at(iso(734));
    await solusio.addIps(e, 1);
    await poll(734);
    await poll(745); // 2026-11-01T01:00Z: after the period, when it is billed
    const after = new Date(iso(745));
    await pollActivity({ ctx: ctxAt(after), input: {} });

    const expected = [
      // 7/5000 for 400 h, then 14/10000 for 344 h: 2800 + 4816.
      { server: a, plan: 1, hours: 400n, tokens: 2800n, charge: "hourly", ips: [0n, 0n, 0n], backups: null },
      { server: a, plan: 2, hours: 344n, tokens: 4816n, charge: "hourly", ips: [0n, 0n, 0n], backups: null },
      // Created 00:00, resized 10:30, deleted 12:10: 11 h (00:00…10:00) and 2 h (11:00, 12:00).
      { server: b, plan: 1, hours: 11n, tokens: 77n, charge: "hourly", ips: [0n, 0n, 0n], backups: null },
      { server: b, plan: 2, hours: 2n, tokens: 28n, charge: "hourly", ips: [0n, 0n, 0n], backups: null },
      // All month with backups 10 % on: 5000 capped, backups 500.
      {
        server: c,
        plan: 1,
        hours: 744n,
        tokens: 5000n,
        charge: "monthly_cap",
        ips: [0n, 0n, 0n],
        backups: [744n, 500n],
      },
      // 300 h, backups on for 100 of them: 2100, backups round(2100 × 0.1 × 100/300) = 70.
      {
        server: d,
        plan: 1,
        hours: 300n,
        tokens: 2100n,
        charge: "hourly",
        ips: [0n, 0n, 0n],
        backups: [100n, 70n],
      },
      // IP #1 all month, IP #2 the last 10 h: quantity 2, 754 IP-hours, 500 + 10 tokens.
      {
        server: e,
        plan: 1,
        hours: 744n,
        tokens: 5000n,
        charge: "monthly_cap",
        ips: [2n, 754n, 510n],
        backups: null,
      },
    ];
    const ctx = {
      ...billingContext(
        handle,
        {
          SOLUSIO_URL: em.apiUrl,
          SOLUSIO_API_TOKEN: em.adminToken,
          USAGE_SOURCE: "solusio",
          USAGE_CROSS_CHECK: "snapshots+activity",
        },
        after,
      ),
      solusio: integration,
    };
    expect(await usageFrom(integration.connection.api.listUsage(OCTOBER))).toEqual(expected);
    for (const name of ["snapshots", "activity", "snapshots+activity"] as const) {
      expect({
        name,
        usage: await usageFrom(new SnapshotUsageSource(handle.db, name).fetchUsage(OCTOBER)),
      }).toEqual({
        name,
        usage: expected,
      });
    }

    const summary = await runBilling({ ctx, input: { period: "2026-10" } });
    expect(summary).toMatchObject({
      state: "completed",
      usage_records: 7,
      invoices: { created: 1, finalized: 1 },
    });
    // The usage endpoint, tokenbill's recomputation and the rebuilt histories all agree.
    expect(summary.anomalies).toEqual({ total: 0, by_kind: {} });
    const [listed] = (
      await listInvoices({ ctx, input: { page: 1, per_page: 5, period: "2026-10", customer_id: customerId } })
    ).data;
    const invoice = await getInvoice({ ctx, input: { id: listed!.id } });
    expect(
      invoice.lines?.map((l) => [
        l.server.id,
        l.kind,
        l.plan_id,
        l.quantity,
        l.hours,
        l.charge_kind,
        l.tokens,
        l.backup_percent,
      ]),
    ).toEqual([
      [a, "server", 1, 1n, 400n, "hourly", 2800n, null],
      [a, "server", 2, 1n, 344n, "hourly", 4816n, null],
      [b, "server", 1, 1n, 11n, "hourly", 77n, null],
      [b, "server", 2, 1n, 2n, "hourly", 28n, null],
      [c, "server", 1, 1n, 744n, "monthly_cap", 5000n, null],
      [c, "backups", 1, 1n, 744n, "backup_share", 500n, "10"],
      [d, "server", 1, 1n, 300n, "hourly", 2100n, null],
      [d, "backups", 1, 1n, 100n, "backup_share", 70n, "10"],
      [e, "server", 1, 1n, 744n, "monthly_cap", 5000n, null],
      [e, "additional_ips", 1, 2n, 754n, "monthly_cap", 510n, null],
    ]);
    expect(invoice.tokens).toBe(20901n);

    // The documents show each plan, the backup share and the IPs, in HTML and in the PDF.
    const document = invoiceDocumentOf(invoice, {
      name: "Example Hosting",
      addressLines: [],
      email: "b@example.com",
    });
    const html = renderInvoiceHtml(document);
    const pdf = pdfText(await renderInvoicePdf(document));
    for (const text of [html, ...(pdf === null ? [] : [pdf])]) {
      expect(text).toContain(`resized (server ${a})`);
      expect(text).toContain("2 Cores");
      expect(text).toContain("Backups 10%");
      expect(text).toContain("Additional IPs ×2");
      expect(text).toContain("Backup share");
    }
  });
});
