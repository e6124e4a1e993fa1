import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";
import { customerBalance } from "../ledger/ledger.ts";
import { runBilling } from "../runs/run-billing.ts";
import {
  billingContext,
  createTaxRule,
  julyOfThreeCustomers,
  type usageOf,
} from "../testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { pdfText } from "../documents/testing/pdf-text.ts";
import { reissueInvoice } from "./reissue-invoice.ts";
import { renderInvoice } from "./render-invoice.ts";
import { voidInvoice } from "./void-invoice.ts";

// Void and reissue (migration 027, docs/billing-cycle.md "Voiding and reissuing"): Cleo's July invoice went
// out without her 20 % VAT. Staff void it with reissue, fix her tax rule and run July again: she gets a new
// invoice with a new number and the right total, the void one stays on record, and the other customers'
// invoices are untouched. Dora's invoice is voided without reissue first, and released afterwards.

const AFTER_JULY = new Date("2026-08-01T01:00:00Z");

let handle: DatabaseHandle;
let cleo: bigint;
let dora: bigint;
let emil: bigint;
let usage: ReturnType<typeof usageOf>[];
beforeAll(async () => {
  handle = await createTestDatabase();
  const july = await julyOfThreeCustomers(handle, [
    "cleo@example.com",
    "dora@example.com",
    "emil@example.com",
  ]);
  const ids = july.ids;
  [cleo, dora, emil] = [ids[0]!, ids[1]!, ids[2]!];
  usage = july.usage;
});
afterAll(async () => handle?.close());

const ctx = () => billingContext(handle, {}, AFTER_JULY);
const runJuly = () =>
  runBilling({ ctx: ctx(), input: { period: "2026-07" }, options: { source: new MemoryUsageSource(usage) } });
const julyInvoices = (customerId: bigint) =>
  handle.db
    .selectFrom("invoice")
    .select(["id", "number", "status", "total", "tax_total", "released_at"])
    .where("customer_id", "=", customerId)
    .where("period", "=", "2026-07")
    .orderBy("created_at")
    .execute();

describe("voiding and reissuing a usage invoice", () => {
  it("bills the period again under a new number, with the corrected details", async () => {
    const first = await runJuly();
    expect(first.invoices).toMatchObject({ created: 3 });
    const [wrong] = await julyInvoices(cleo);
    expect(wrong).toMatchObject({ number: "INV-2026-000001", total: 500n, tax_total: 0n });

    const voided = await voidInvoice({
      ctx: ctx(),
      input: { id: wrong!.id, reason: "VAT missing, to be reissued", reissue: true },
    });
    expect(voided.status).toBe("void");
    expect(voided.void).toEqual({
      at: AFTER_JULY.toISOString(),
      reason: "VAT missing, to be reissued",
      released_at: AFTER_JULY.toISOString(),
    });
    const vat = await createTaxRule(handle, {
      name: "VAT 20",
      compound: false,
      rates: [{ label: "VAT", rate: "20" }],
    });
    await handle.db.updateTable("customer").set({ tax_rule_id: vat }).where("id", "=", cleo).execute();

    const again = await runJuly();
    expect(again.invoices).toMatchObject({ created: 1, already_present: 2 });
    expect(again.anomalies.by_kind).toEqual({});
    const [old, reissued] = await julyInvoices(cleo);
    expect(old).toMatchObject({ id: wrong!.id, number: "INV-2026-000001", status: "void" });
    expect(reissued).toMatchObject({
      number: "INV-2026-000004",
      status: "finalized",
      total: 600n,
      tax_total: 100n,
      released_at: null,
    });
    // The void took back the first invoice's $5.00: Cleo owes the new invoice's $6.00, nothing more.
    expect(await customerBalance(handle.db, cleo, "USD")).toBe(600n);

    // Its documents say what they replace; the void one's do not.
    const html = String(await renderInvoice({ ctx: ctx(), input: { id: reissued!.id, format: "html" } }));
    expect(html).toMatch(/Replaces<\/[a-z]+>\s*<[a-z]+>INV-2026-000001 \(void\)/);
    const pdf = await pdfText(
      (await renderInvoice({ ctx: ctx(), input: { id: reissued!.id, format: "pdf" } })) as Buffer,
    );
    expect(pdf).toMatch(/Replaces\s+INV-2026-000001 \(void\)/);
    const voidHtml = String(await renderInvoice({ ctx: ctx(), input: { id: wrong!.id, format: "html" } }));
    expect(voidHtml).not.toContain("Replaces");

    // A third run finds the new invoice in force and changes nothing.
    const third = await runJuly();
    expect(third.invoices).toMatchObject({ created: 0, already_present: 3 });
    expect(third.anomalies.by_kind).toEqual({});
    expect(await julyInvoices(cleo)).toHaveLength(2);
  });

  it("releases a void invoice later, and refuses what cannot be released", async () => {
    const [invoice] = await julyInvoices(dora);
    await voidInvoice({ ctx: ctx(), input: { id: invoice!.id, reason: "customer disputes the month" } });
    // Voided without reissue: the slot is kept, the run reports the unbilled usage.
    const kept = await runJuly();
    expect(kept.invoices).toMatchObject({ created: 0 });
    expect(kept.anomalies.by_kind).toEqual({ invoice_void: 1 });

    const released = await reissueInvoice({ ctx: ctx(), input: { id: invoice!.id } });
    expect(released.void?.released_at).toBe(AFTER_JULY.toISOString());
    await expect(reissueInvoice({ ctx: ctx(), input: { id: invoice!.id } })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("already released for reissue"),
    });
    const [, live] = await julyInvoices(cleo);
    await expect(reissueInvoice({ ctx: ctx(), input: { id: live!.id } })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("only a void invoice can be reissued"),
    });
    await expect(reissueInvoice({ ctx: ctx(), input: { id: "inv_0123456789abcdef" } })).rejects.toMatchObject(
      {
        code: "NOT_FOUND",
      },
    );

    const rebilled = await runJuly();
    expect(rebilled.invoices).toMatchObject({ created: 1, already_present: 2 });
    expect((await julyInvoices(dora)).map((i) => i.status)).toEqual(["void", "finalized"]);
  });

  it("is refused to a support role, and the database keeps a release for good", async () => {
    const [voidOne] = await julyInvoices(dora);
    const support = await createStaffUser({
      ctx: ctx(),
      input: { email: "support@example.com", role: "support", password: "correct horse battery" },
    });
    const asSupport = { ...ctx(), actor: actors.staff(support.id) };
    await expect(reissueInvoice({ ctx: asSupport, input: { id: voidOne!.id } })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      sql`UPDATE invoice SET released_at = NULL WHERE id = ${voidOne!.id}`.execute(handle.db),
    ).rejects.toThrow(/stays released/);
    const [, live] = await julyInvoices(dora);
    expect(live?.status).toBe("finalized");
    await expect(
      sql`UPDATE invoice SET released_at = now() WHERE id = ${live!.id}`.execute(handle.db),
    ).rejects.toThrow(/invoice_released_only_void/);
    // Two invoices in force for one customer and period: the unique index refuses the second.
    await expect(
      sql`INSERT INTO invoice SELECT (jsonb_populate_record(NULL::invoice,
            to_jsonb(i) || jsonb_build_object('id', 'inv_c0ffee', 'number', NULL, 'number_sequence', NULL,
              'number_value', NULL, 'status', 'draft'))).*
          FROM invoice i WHERE i.id = ${live!.id}`.execute(handle.db),
    ).rejects.toThrow(/invoice_customer_period_unique/);
  });

  // On PostgreSQL the two runs are truly concurrent; on PGlite they interleave. Either way one wins the slot.
  it("two runs at once after a release draft one new invoice between them", async () => {
    const [invoice] = await julyInvoices(emil);
    await voidInvoice({ ctx: ctx(), input: { id: invoice!.id, reason: "wrong address", reissue: true } });
    const [a, b] = await Promise.all([runJuly(), runJuly()]);
    expect(a.invoices.created + b.invoices.created).toBe(1);
    expect(a.anomalies.total + b.anomalies.total).toBe(0);
    const emils = await julyInvoices(emil);
    expect(emils.map((i) => i.status)).toEqual(["void", "finalized"]);
    const numbers = await handle.db
      .selectFrom("invoice")
      .select("number_value")
      .where("number", "is not", null)
      .orderBy("number_value")
      .execute();
    // Gapless across voids and reissues: 1–3 from the first run, 4 (Cleo), 5 (Dora), 6 (Emil).
    expect(numbers.map((n) => Number(n.number_value))).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
