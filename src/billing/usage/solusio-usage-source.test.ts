import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../../emulator/start.ts";
import { emulatorDriver } from "../testing/emulator-driver.ts";
import { OCTOBER } from "../testing/billing-fixtures.ts";
import { fetchGetJson, type GetJson } from "./get-json.ts";
import { SolusioUsageSource } from "./solusio-usage-source.ts";
import type { UsageRecord } from "./usage-record.ts";

// Usage source (a): the emulator's usage endpoint over HTTP (every page followed), and answers a live
// SolusIO might give that do not fit the [OURS] shape (solusio-api.md §9).

async function all(source: SolusioUsageSource): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for await (const r of source.fetchUsage(OCTOBER)) out.push(r);
  return out;
}

const item = (id: number, extra: Record<string, unknown> = {}) => ({
  server: { id, uuid: `u-${id}`, name: `s-${id}` },
  user: { id: 5, billing_user_id: "42" },
  plan: {
    id: 2,
    name: "1 Core",
    tokens_per_hour: 7,
    tokens_per_month: "5000",
    ip_tokens_per_hour: 1,
    ip_tokens_per_month: 500,
  },
  period_start: "2026-10-01T00:00:00Z",
  period_end: "2026-11-01T00:00:00Z",
  created_at: "2026-10-01T00:00:00.000000Z",
  deleted_at: null,
  hours: 744,
  tokens: 5000,
  charge: "monthly_cap",
  additional_ips: { count: 1, hours: 744, tokens: 500, charge: "monthly_cap" },
  ...extra,
});

/** A fake at the network edge: answers pages from a list, as the endpoint would. */
function pages(answers: unknown[]): GetJson & { calls: Record<string, string | number>[] } {
  const calls: Record<string, string | number>[] = [];
  const fn = async (_path: string, query: Record<string, string | number>) => {
    calls.push(query);
    return answers[Number(query["page"]) - 1];
  };
  return Object.assign(fn, { calls });
}

describe("SolusioUsageSource", () => {
  let em: RunningEmulator;
  beforeAll(async () => {
    em = await startEmulator({
      port: 0,
      logger: false,
      now: new Date("2026-10-01T00:00:00Z"),
      seed: {
        plans: [{ id: 1, name: "7/5000", tokens_per_hour: 7, tokens_per_month: 5000 }],
        users: [{ id: 5, email: "a@example.com", billing_user_id: 42 }],
      },
    });
  });
  afterAll(() => em?.close());

  it("follows every page of the emulator's usage endpoint (40 servers, 15 per page)", async () => {
    const solusio = emulatorDriver(em);
    for (let i = 0; i < 40; i++) await solusio.createServer({ name: `s${i}`, plan: 1, user: 5 });
    await solusio.at("2026-11-02T00:00:00Z");
    const records = await all(
      new SolusioUsageSource(fetchGetJson({ apiUrl: em.apiUrl, token: em.adminToken })),
    );
    expect(records).toHaveLength(40);
    expect(new Set(records.map((r) => r.server.id)).size).toBe(40);
    expect(records[0]).toMatchObject({
      billingUserId: 42n,
      hours: 744n,
      tokens: 5000n,
      charge: "monthly_cap",
      reportedBySolusio: true,
    });
  });

  it("maps the [OURS] shape, accepting numeric strings, and asks for each page up to meta.last_page", async () => {
    const getJson = pages([
      { data: [item(1)], meta: { last_page: 2, total: 2 } },
      { data: [item(2, { additional_ips: null })], meta: { last_page: 2, total: 2 } },
    ]);
    const records = await all(new SolusioUsageSource(getJson, "billing/usage"));
    expect(getJson.calls).toEqual([
      { period_start: "2026-10-01T00:00:00Z", period_end: "2026-11-01T00:00:00Z", page: 1 },
      { period_start: "2026-10-01T00:00:00Z", period_end: "2026-11-01T00:00:00Z", page: 2 },
    ]);
    expect(records[0]).toEqual({
      billingUserId: 42n,
      solusioUserId: 5,
      server: { id: 1, uuid: "u-1", name: "s-1" },
      plan: {
        id: 2,
        name: "1 Core",
        tokensPerHour: 7n,
        tokensPerMonth: 5000n,
        ipTokensPerHour: 1n,
        ipTokensPerMonth: 500n,
      },
      createdAt: new Date("2026-10-01T00:00:00Z"),
      deletedAt: null,
      hours: 744n,
      tokens: 5000n,
      charge: "monthly_cap",
      additionalIps: { count: 1n, hours: 744n, tokens: 500n, charge: "monthly_cap" },
      reportedBySolusio: true,
    });
    expect(records[1]!.additionalIps).toEqual({ count: 0n, hours: 0n, tokens: 0n, charge: "free" });
  });

  it("reads a single page when meta is missing", async () => {
    const getJson = pages([{ data: [item(1), item(2)] }]);
    expect(await all(new SolusioUsageSource(getJson))).toHaveLength(2);
    expect(getJson.calls).toHaveLength(1);
  });

  it("stops with UPSTREAM_UNAVAILABLE naming the item and field when an answer does not fit", async () => {
    const bad = [
      [{ data: [item(1, { tokens: 1.5 })], meta: { last_page: 1 } }, /page 1\).*data\[0\]\.tokens/],
      [{ data: [item(1, { charge: "weekly" })], meta: { last_page: 1 } }, /data\[0\]\.charge/],
      [
        { data: [item(1, { period_start: "2026-09-01T00:00:00Z" })], meta: { last_page: 1 } },
        /another period/,
      ],
      [{ items: [] }, /not in the expected shape/],
    ] as const;
    for (const [answer, message] of bad) {
      await expect(all(new SolusioUsageSource(pages([answer])))).rejects.toMatchObject({
        code: "UPSTREAM_UNAVAILABLE",
        message: expect.stringMatching(message),
      });
    }
  });

  it("refuses usage that changed while it was paged (offset pages would skip or repeat servers)", async () => {
    const getJson = pages([
      { data: [item(1)], meta: { last_page: 2, total: 2 } },
      { data: [item(2)], meta: { last_page: 2, total: 3 } },
    ]);
    await expect(all(new SolusioUsageSource(getJson))).rejects.toThrow(/changed while it was read/);
  });
});
