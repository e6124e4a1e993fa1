import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderInvoice } from "../../billing/invoices/render-invoice.ts";
import { type BilledWorld, finishedRun, octoberToBill } from "./billing-run-test-fixture.ts";
import { cliContext, PageClient, textOf } from "./pricing-test-client.ts";

// A customer's month voided and reissued twice (docs/billing-cycle.md, "Voiding and reissuing"): A is voided
// and released, the next run drafts B; B is voided and released, the next run drafts C. Nothing stores
// which replaced which: the pages and documents read it from the release order, and C replaces B, not A.

type MonthInvoice = { id: string; number: string; status: string };

let world: BilledWorld;
let owner: PageClient;
let a: MonthInvoice;
let b: MonthInvoice;
let c: MonthInvoice;

const api = (method: string, path: string, body?: unknown) => world.server.api(method, path, body);
const month = async (): Promise<MonthInvoice[]> =>
  (await api("GET", `/api/v1/invoices?period=2026-10&customer_id=${world.plain}`)).body.data;
const runOctober = async () =>
  finishedRun(world.server, (await api("POST", "/api/v1/billing-runs", { period: "2026-10" })).body.data.id);

async function voidAndRerun(invoice: MonthInvoice): Promise<MonthInvoice> {
  const voided = await api("POST", `/api/v1/invoices/${invoice.id}/void`, {
    reason: "wrong address",
    reissue: true,
  });
  expect(voided.status).toBe(200);
  expect(await runOctober()).toMatchObject({ state: "completed" });
  const known = new Set([a?.id, b?.id, invoice.id]);
  const fresh = (await month()).filter((i) => !known.has(i.id));
  expect(fresh).toHaveLength(1);
  return fresh[0]!;
}

beforeAll(async () => {
  world = await octoberToBill();
  await runOctober();
  [a] = (await month()) as [MonthInvoice];
  b = await voidAndRerun(a);
  c = await voidAndRerun(b);
  owner = await new PageClient(world.server.url).logIn("owner@example.com");
});
afterAll(async () => {
  await world?.close();
});

describe("a month voided and reissued twice", () => {
  it("has its latest invoice replace the one voided last, in its documents", async () => {
    expect(c.status).toBe("finalized");
    const html = String(
      await renderInvoice({ ctx: cliContext(world.handle), input: { id: c.id, format: "html" } }),
    );
    expect(html).toMatch(new RegExp(`Replaces</[a-z]+>\\s*<[a-z]+>${b.number} \\(void\\)<`));
    expect(html).not.toContain(a.number);
  });

  it("links each invoice's page to the one it replaced and the one that replaced it", async () => {
    const pageOf = async (i: MonthInvoice) => textOf((await owner.get(`/console/invoices/${i.id}`)).text);
    const first = await pageOf(a);
    expect(first).toContain(`Reissued as: ${b.number} (void)`);
    expect(first).toContain(`Also for this month: ${c.number} (finalized)`);
    expect(first).not.toContain("Replaces:");

    const second = await pageOf(b);
    expect(second).toContain(`Replaces: ${a.number} (void)`);
    expect(second).toContain(`Reissued as: ${c.number} (finalized)`);
    expect(second).not.toContain("Also for this month");

    const third = await pageOf(c);
    expect(third).toContain(`Replaces: ${b.number} (void)`);
    expect(third).toContain(`Also for this month: ${a.number} (void)`);
    expect(third).not.toContain("Reissued as:");
  });
});
