import { afterEach, describe, expect, it } from "vitest";
import type { UsageRecord } from "../domain/usage-record.ts";
import { type PageServer, RawJson, startPageServer } from "./testing/page-server.ts";

// SolusioApi.listUsage: answers a live SolusIO might give to the [OURS] usage endpoint (solusio-api.md §9 (a)),
// fitting or not, read through the real client. The emulator's endpoint is read in solusio-usage-source.test.ts.

const OCTOBER = { start: new Date("2026-10-01T00:00:00Z"), end: new Date("2026-11-01T00:00:00Z") };

let solusio: PageServer | undefined;
afterEach(async () => {
  await solusio?.close();
  solusio = undefined;
});

async function usage(answers: unknown[], path?: string): Promise<UsageRecord[]> {
  solusio = await startPageServer(answers);
  const out: UsageRecord[] = [];
  for await (const r of solusio.api.listUsage(OCTOBER, path)) out.push(r);
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

const OCTOBER_QUERY = { period_start: "2026-10-01T00:00:00Z", period_end: "2026-11-01T00:00:00Z" };

describe("SolusioApi.listUsage", () => {
  it("maps the [OURS] shape, accepting numeric strings, and asks at the path for each page up to meta.last_page", async () => {
    const records = await usage(
      [
        { data: [item(1)], meta: { last_page: 2, total: 2 } },
        { data: [item(2, { additional_ips: null })], meta: { last_page: 2, total: 2 } },
      ],
      "billing/usage",
    );
    expect(solusio!.requests).toEqual([
      { path: "/api/v1/billing/usage", query: { ...OCTOBER_QUERY, page: "1" } },
      { path: "/api/v1/billing/usage", query: { ...OCTOBER_QUERY, page: "2" } },
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
        backupPercent: "0",
      },
      createdAt: new Date("2026-10-01T00:00:00Z"),
      deletedAt: null,
      hours: 744n,
      tokens: 5000n,
      charge: "monthly_cap",
      additionalIps: { count: 1n, hours: 744n, tokens: 500n, charge: "monthly_cap" },
      backups: null,
      reportedBySolusio: true,
    });
    expect(records[1]!.additionalIps).toEqual({ count: 0n, hours: 0n, tokens: 0n, charge: "free" });
  });

  it("converts what the schema only validates: per-IP and backup figures, backup prices, deletion, no user", async () => {
    const [record] = await usage([
      {
        data: [
          item(1, {
            user: { billing_user_id: null },
            plan: { name: "Backed up", tokens_per_hour: "7", tokens_per_month: 5000, backup_price: 12.5 },
            deleted_at: "2026-10-20T10:00:00+02:00",
            additional_ips: {
              count: 2,
              hours: 30,
              tokens: "30",
              charge: "hourly",
              ips: [
                { hours: 10, tokens: 10 },
                { hours: "20", tokens: 20 },
              ],
            },
            backups: { price_percent: "12.500000", hours: 100, tokens: "625" },
          }),
        ],
      },
    ]);
    expect(record).toMatchObject({
      billingUserId: null,
      solusioUserId: null,
      plan: {
        id: null,
        tokensPerHour: 7n,
        ipTokensPerHour: 0n,
        ipTokensPerMonth: 0n,
        backupPercent: "12.5",
      },
      deletedAt: new Date("2026-10-20T08:00:00Z"),
      additionalIps: {
        count: 2n,
        hours: 30n,
        tokens: 30n,
        charge: "hourly",
        perIp: [
          { hours: 10n, tokens: 10n },
          { hours: 20n, tokens: 20n },
        ],
      },
      backups: { percent: "12.500000", hours: 100n, tokens: 625n },
    });
  });

  it("reads a single page when meta is missing, at the default path", async () => {
    expect(await usage([{ data: [item(1), item(2)] }])).toHaveLength(2);
    expect(solusio!.requests.map((r) => r.path)).toEqual(["/api/v1/usage"]);
  });

  it("goes through the SolusIO client: a 503 is retried, and every attempt is in the call log", async () => {
    const records = await usage([{ status: 503 }, { data: [item(1)], meta: { last_page: 1 } }]);
    expect(records).toHaveLength(1);
    expect(solusio!.calls.map((c) => [c.method, c.path, c.status, c.attempt])).toEqual([
      ["GET", "usage", 503, 1],
      ["GET", "usage", 200, 2],
    ]);
  });

  it("stops with UPSTREAM_UNAVAILABLE naming the item and field when an answer does not fit", async () => {
    const bad = [
      [{ data: [item(1, { tokens: 1.5 })], meta: { last_page: 1 } }, /page 1\).*data\[0\]\.tokens/],
      [{ data: [item(1, { charge: "weekly" })], meta: { last_page: 1 } }, /data\[0\]\.charge/],
      [{ data: [item(1, { plan: { name: "x", tokens_per_hour: -1 } })] }, /data\[0\]\.plan\.tokens_per_hour/],
      [
        {
          data: [
            item(1, {
              plan: { name: "x", tokens_per_hour: 1, tokens_per_month: 1, backup_price: 12.1234567 },
            }),
          ],
        },
        /data\[0\]\.plan\.backup_price: must be a percentage from 0 to 100 with at most 6 decimals/,
      ],
      [
        { data: [item(1, { backups: { price_percent: "101", hours: 1, tokens: 1 } })] },
        /data\[0\]\.backups\.price_percent: must be a percentage/,
      ],
      [
        {
          data: [
            item(1, { plan: { name: "x", tokens_per_hour: 1, tokens_per_month: 1, backup_price: 101 } }),
          ],
        },
        /data\[0\]\.plan\.backup_price/,
      ],
      [{ data: [item(1, { deleted_at: "yesterday" })] }, /data\[0\]\.deleted_at/],
      [
        { data: [item(1, { period_start: "2026-09-01T00:00:00Z" })], meta: { last_page: 1 } },
        /another period/,
      ],
      [{ items: [] }, /not in the expected shape/],
    ] as const;
    for (const [answer, message] of bad) {
      await expect(usage([answer])).rejects.toMatchObject({
        code: "UPSTREAM_UNAVAILABLE",
        message: expect.stringMatching(message),
      });
      await solusio?.close();
      solusio = undefined;
    }
  });

  it("reads a token figure of 2^53 or more exactly (billing-rules §1: tokens are bigints)", async () => {
    // 20,000,000,000,001 tokens/hour for 744 h: both beyond what a JS number holds exactly.
    const page = JSON.stringify({
      data: [item(1, { tokens: "TOKENS", charge: "hourly" })],
      meta: { last_page: 1 },
    })
      .replace('"TOKENS"', "14880000000000744")
      .replace('"tokens_per_hour":7', '"tokens_per_hour":20000000000000001');
    const [record] = await usage([new RawJson(page)]);
    expect(record?.tokens).toBe(14_880_000_000_000_744n);
    expect(record?.plan.tokensPerHour).toBe(20_000_000_000_000_001n);
  });

  it("names the server, its users and plan when a figure does not fit at all", async () => {
    const page = JSON.stringify({ data: [item(1, { tokens: "TOKENS" })], meta: { last_page: 1 } }).replace(
      '"TOKENS"',
      "1234567890123456789012",
    );
    await expect(usage([new RawJson(page)])).rejects.toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: expect.stringMatching(
        /data\[0\]\.tokens.*server 1 \(s-1\), SolusIO user 5, billing user 42, plan 2/,
      ),
    });
  });

  it("refuses usage that changed while it was paged (offset pages would skip or repeat servers)", async () => {
    await expect(
      usage([
        { data: [item(1)], meta: { last_page: 2, total: 2 } },
        { data: [item(2)], meta: { last_page: 2, total: 3 } },
      ]),
    ).rejects.toThrow(/changed while it was read/);
  });
});
