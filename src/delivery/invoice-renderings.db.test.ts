import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HAS_WQY_MICROHEI,
  WQY_MICROHEI,
  WQY_SKIP_REASON,
} from "../billing/documents/testing/fallback-font.ts";
import { renderInvoice } from "../billing/invoices/render-invoice.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import { SimulatedCrash } from "../billing/runs/execute-billing-run.ts";
import { runBilling } from "../billing/runs/run-billing.ts";
import {
  billingContext,
  createCustomers,
  createSection4Customer,
  section4Usage,
  usageOf,
} from "../billing/testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../billing/usage/memory-usage-source.ts";
import type { DatabaseHandle } from "../db/open-database.ts";

// GET /api/v1/invoices/{id}/html and /pdf over real HTTP: raw bodies with their content types, drafts
// marked as drafts, and errors still in the standard envelope.

const SELLER = { SELLER_NAME: "Example Hosting Ltd", SELLER_ADDRESS: "1 Harbour Road | Springfield" };

let handle: DatabaseHandle;
let server: TestServer;
let draftId = "";

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, SELLER);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

async function get(path: string) {
  const response = await fetch(server.url + path, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

describe("invoice renderings API", () => {
  it("renders a draft, marked as one and without a number", async () => {
    const section4 = await createSection4Customer(handle);
    const [plain] = await createCustomers(handle, [{ email: "plain@example.com" }]);
    const usage = [
      ...section4Usage(section4, 1),
      usageOf({
        billingUserId: plain!,
        tph: 7,
        tpm: 5000,
        createdAt: "2026-10-01T00:00:00Z",
        deletedAt: null,
      }),
    ];
    const ctx = billingContext(handle, { ...SELLER, BILLING_BATCH_SIZE: 1 });
    // A run that dies after drafting the first customer (batches of one) leaves one draft behind.
    const crashed = runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage), faults: { crashAfterCustomers: 1 } },
    });
    await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
    const left = await handle.db.selectFrom("invoice").select(["id", "status"]).execute();
    expect(left.map((i) => i.status)).toEqual(["draft"]);
    draftId = left[0]!.id;

    const html = await get(`/api/v1/invoices/${draftId}/html`);
    expect([html.status, html.type]).toEqual([200, "text/html; charset=utf-8"]);
    const page = html.bytes.toString("utf8");
    expect(page).toContain('<p class="badge">DRAFT</p>');
    expect(page).toContain("(not yet numbered)");
    expect(page).toContain("Example Hosting Ltd");
    const pdf = await get(`/api/v1/invoices/${draftId}/pdf`);
    expect([pdf.status, pdf.type]).toEqual([200, "application/pdf"]);
    expect(pdf.bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");

    await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(usage) },
    });
  });

  it("renders a finalized invoice as HTML and as a PDF", async () => {
    const html = await get(`/api/v1/invoices/${draftId}/html`);
    expect([html.status, html.type]).toEqual([200, "text/html; charset=utf-8"]);
    const page = html.bytes.toString("utf8");
    expect(page).toContain("INV-2026-000001");
    expect(page).toContain("$10.20");
    expect(page).not.toContain("DRAFT");
    const pdf = await get(`/api/v1/invoices/${draftId}/pdf`);
    expect([pdf.status, pdf.type]).toEqual([200, "application/pdf"]);
    expect(pdf.bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(pdf.bytes.subarray(-6).toString("latin1")).toContain("%%EOF");
  });

  it("answers an unknown or malformed id with the error envelope", async () => {
    for (const format of ["html", "pdf"]) {
      const missing = await server.api("GET", `/api/v1/invoices/inv_0000dead/${format}`);
      expect(missing.status).toBe(404);
      expect(missing.body.error).toMatchObject({
        code: "NOT_FOUND",
        message: "invoice inv_0000dead not found",
      });
      const malformed = await server.api("GET", `/api/v1/invoices/nope/${format}`);
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.issues).toEqual([{ field: "path.id", message: expect.any(String) }]);
    }
  });

  it.skipIf(!HAS_WQY_MICROHEI)(
    `draws what DejaVu lacks with the configured PDF_FALLBACK_FONTS${WQY_SKIP_REASON}`,
    async () => {
      const [yamada] = await createCustomers(handle, [{ email: "山田@example.jp" }]);
      const usage = [
        usageOf({
          billingUserId: yamada!,
          tph: 7,
          tpm: 5000,
          createdAt: "2026-10-01T00:00:00Z",
          deletedAt: null,
        }),
      ];
      const ctx = billingContext(handle, SELLER);
      await runBilling({
        ctx,
        input: { period: "2026-10" },
        options: { source: new MemoryUsageSource(usage) },
      });
      const { id } = await handle.db
        .selectFrom("invoice")
        .select("id")
        .where("customer_id", "=", yamada!)
        .executeTakeFirstOrThrow();
      const fontsOf = async (config: Record<string, unknown>) => {
        const pdf = await renderInvoice({
          ctx: billingContext(handle, { ...SELLER, ...config }),
          input: { id, format: "pdf" },
        });
        return spawnSync("pdffonts", ["-"], { input: pdf as Buffer, encoding: "utf8" }).stdout;
      };
      expect(await fontsOf({ PDF_FALLBACK_FONTS: WQY_MICROHEI })).toContain("+WenQuanYiMicroHei ");
      expect(await fontsOf({})).not.toContain("WenQuanYi");
    },
  );

  it("documents both in OpenAPI with their content types", async () => {
    const doc = (await server.api("GET", "/api/v1/openapi.json")).body;
    const html = doc.paths["/api/v1/invoices/{id}/html"].get.responses;
    const pdf = doc.paths["/api/v1/invoices/{id}/pdf"].get.responses;
    expect(html["200"].content).toEqual({ "text/html": { schema: { type: "string" } } });
    expect(pdf["200"].content).toEqual({
      "application/pdf": { schema: { type: "string", format: "binary" } },
    });
    expect(pdf["404"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
  });
});
