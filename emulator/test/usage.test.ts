import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { client, reset, setClock, startTestEmulator } from "./helpers.ts";

// billing-rules.md §2: every worked example, reproduced through the usage endpoint with the emulator clock.

const SEED = {
  plans: [
    {
      id: 1,
      name: "7/5000",
      tokens_per_hour: 7,
      tokens_per_month: 5000,
      ip_tokens_per_hour: 1,
      ip_tokens_per_month: 500,
      is_additional_ips_available: true,
    },
    { id: 2, name: "7/0", tokens_per_hour: 7, tokens_per_month: 0 },
    { id: 3, name: "0/5000", tokens_per_hour: 0, tokens_per_month: 5000 },
    { id: 4, name: "28/20000", tokens_per_hour: 28, tokens_per_month: 20000 },
    { id: 5, name: "free", tokens_per_hour: 0, tokens_per_month: 0 },
  ],
  users: [
    { id: 5, email: "alice@example.com", billing_user_id: 42 },
    { id: 6, email: "bob@example.com", billing_user_id: "43" },
  ],
};
const OCT = "period_start=2026-10-01T00:00:00Z&period_end=2026-11-01T00:00:00Z";
const NOV = "period_start=2026-11-01T00:00:00Z&period_end=2026-12-01T00:00:00Z";

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em));

async function lifetime(
  plan: number,
  from: string,
  hours: number | null,
  extra: Record<string, unknown> = {},
): Promise<number> {
  await setClock(em, { now: from });
  const res = await client(em).post("servers", { name: `s-${plan}`, plan, location: 1, user: 5, ...extra });
  expect(res.status).toBe(201);
  if (hours !== null) {
    await setClock(em, { advance_seconds: Math.round(hours * 3600) });
    expect((await client(em).del(`servers/${res.body.data.id}`)).status).toBe(200);
  }
  return res.body.data.id;
}

async function usage(query: string) {
  const res = await client(em).get(`usage?${query}`);
  expect(res.status).toBe(200);
  return res.body;
}

const pick = (item: { hours: number; tokens: number; charge: string }) => [
  item.hours,
  item.tokens,
  item.charge,
];

describe("billing-rules §2 worked examples (plan 7 tph / 5000 tpm unless stated)", () => {
  it.each([
    ["5 minutes", 1, 5 / 60, [1, 7, "hourly"]],
    ["700 h", 1, 700, [700, 4900, "hourly"]],
    ["730 h", 1, 730, [730, 5000, "monthly_cap"]],
    ["744 h, plan 7 / 0", 2, 744, [744, 5208, "hourly"]],
    ["3 h, plan 0 / 5000", 3, 3, [3, 5000, "monthly_fixed"]],
  ] as const)("%s", async (_name, plan, hours, expected) => {
    await lifetime(plan, "2026-10-01T00:00:00Z", hours);
    await setClock(em, { now: "2026-11-05T00:00:00Z" });
    const body = await usage(OCT);
    expect(body.data).toHaveLength(1);
    expect(pick(body.data[0])).toEqual(expected);
  });

  it("created 2026-10-31T22:30Z, deleted 2026-11-01T01:10Z: Oct 2 h / 14 tokens, Nov 1 h / 7 tokens", async () => {
    await lifetime(1, "2026-10-31T22:30:00Z", 2 + 40 / 60);
    await setClock(em, { now: "2026-12-02T00:00:00Z" });
    const oct = await usage(OCT);
    const nov = await usage(NOV);
    expect(pick(oct.data[0])).toEqual([2, 14, "hourly"]);
    expect(pick(nov.data[0])).toEqual([1, 7, "hourly"]);
    expect(oct.data[0]).toMatchObject({
      created_at: "2026-10-31T22:30:00.000000Z",
      deleted_at: "2026-11-01T01:10:00.000000Z",
      period_start: "2026-10-01T00:00:00Z",
      period_end: "2026-11-01T00:00:00Z",
    });
  });

  it("a running server over the whole of October: 744 h, capped at 5000", async () => {
    await lifetime(1, "2026-10-01T00:00:00Z", null);
    await setClock(em, { now: "2026-11-01T00:00:00Z" });
    expect(pick((await usage(OCT)).data[0])).toEqual([744, 5000, "monthly_cap"]);
    // The hour starting at this very instant has not started yet (§2.1): nothing in November so far.
    expect((await usage(NOV)).data).toEqual([]);
    await setClock(em, { advance_seconds: 1 });
    expect(pick((await usage(NOV)).data[0])).toEqual([1, 7, "hourly"]);
  });

  it("§2.1: a running server looked at exactly 700 h after creation has 700 hours, not 701", async () => {
    await lifetime(1, "2026-10-01T00:00:00Z", null);
    await setClock(em, { advance_hours: 700 });
    expect(pick((await usage(OCT)).data[0])).toEqual([700, 4900, "hourly"]);
  });

  it("a running server mid-month counts the hours started so far; at its creation instant it has none", async () => {
    await lifetime(1, "2026-10-01T00:00:00Z", null);
    expect((await usage(OCT)).data).toEqual([]);
    await setClock(em, { advance_minutes: 1 });
    expect(pick((await usage(OCT)).data[0])).toEqual([1, 7, "hourly"]);
    await setClock(em, { now: "2026-10-01T10:30:00Z" });
    expect(pick((await usage(OCT)).data[0])).toEqual([11, 77, "hourly"]);
  });

  it("stopped and suspended servers still count", async () => {
    const id = await lifetime(1, "2026-10-01T00:00:00Z", null);
    await client(em).post(`servers/${id}/stop`);
    await client(em).post(`servers/${id}/suspend`);
    await setClock(em, { advance_hours: 100 });
    expect(pick((await usage(OCT)).data[0])).toEqual([100, 700, "hourly"]);
  });

  it("the §4 invoice example: 700 h on 7/5000, 730 h on 7/5000, 5 min on 28/20000 → 9928 tokens", async () => {
    await lifetime(1, "2026-10-01T00:00:00Z", 700);
    await lifetime(1, "2026-10-01T00:00:00Z", 730);
    await lifetime(4, "2026-10-10T00:00:00Z", 5 / 60);
    await setClock(em, { now: "2026-11-01T01:00:00Z" });
    const body = await usage(OCT);
    expect(body.data.map(pick)).toEqual([
      [700, 4900, "hourly"],
      [730, 5000, "monthly_cap"],
      [1, 28, "hourly"],
    ]);
    expect(body.data.reduce((sum: number, i: { tokens: number }) => sum + i.tokens, 0)).toBe(9928);
  });

  it("additional IPs are one more charge with the IP prices, times their count", async () => {
    await lifetime(1, "2026-10-01T00:00:00Z", 700, { additional_ip_count: 2 });
    const [item] = (await usage(OCT)).data;
    // Two IPs, 700 IP-hours each, each capped at 500 (billing-rules §2.2: the cap applies per IP).
    expect(item.additional_ips).toEqual({
      count: 2,
      hours: 1400,
      tokens: 1000,
      charge: "monthly_cap",
      ips: [
        { id: 2, hours: 700, tokens: 500 },
        { id: 3, hours: 700, tokens: 500 },
      ],
    });
    await reset(em);
    await lifetime(1, "2026-10-01T00:00:00Z", 100);
    expect((await usage(OCT)).data[0].additional_ips).toMatchObject({
      count: 0,
      hours: 0,
      tokens: 0,
      ips: [],
    });
  });

  it("a free plan costs nothing", async () => {
    await lifetime(5, "2026-10-01T00:00:00Z", 10);
    expect(pick((await usage(OCT)).data[0])).toEqual([10, 0, "free"]);
  });
});

describe("the usage endpoint", () => {
  it("has the §9 (a) shape, keeps deleted servers and their deleted owners", async () => {
    const id = await lifetime(1, "2026-10-01T00:00:00Z", 700);
    expect((await client(em).del("users/5")).status).toBe(204);
    const body = await usage(OCT);
    expect(body.data[0]).toEqual({
      server: { id, uuid: expect.any(String), name: "s-1" },
      user: { id: 5, billing_user_id: 42 },
      plan: {
        id: 1,
        name: "7/5000",
        tokens_per_hour: 7,
        tokens_per_month: 5000,
        ip_tokens_per_hour: 1,
        ip_tokens_per_month: 500,
        backup_price: 0,
      },
      period_start: "2026-10-01T00:00:00Z",
      period_end: "2026-11-01T00:00:00Z",
      created_at: "2026-10-01T00:00:00.000000Z",
      deleted_at: "2026-10-30T04:00:00.000000Z",
      hours: 700,
      tokens: 4900,
      charge: "hourly",
      // No IP: nothing to pay; the kind is what the plan's IP prices would give the server's 700 hours.
      additional_ips: { count: 0, hours: 0, tokens: 0, charge: "monthly_cap", ips: [] },
    });
    expect(body.meta).toMatchObject({ total: 1, last_page: 1 });
  });

  it("leaves out servers with no hour in the period; filters by user and billing user; pages", async () => {
    await lifetime(1, "2026-10-01T00:00:00Z", 1);
    await setClock(em, { now: "2026-10-02T00:00:00Z" });
    for (const user of [5, 6, 6]) await client(em).post("servers", { name: "x", plan: 1, location: 1, user });
    await setClock(em, { now: "2026-11-10T00:00:00Z" });
    expect((await usage(NOV)).meta.total).toBe(3);
    expect((await usage(`${NOV}&filter%5Buser_id%5D=6`)).meta.total).toBe(2);
    expect((await usage(`${OCT}&filter[billing_user_id]=42`)).meta.total).toBe(2);
    const page2 = await usage(`${OCT}&per_page=3&page=2`);
    expect(page2.data).toHaveLength(1);
    expect(page2.meta).toMatchObject({ current_page: 2, last_page: 2, total: 4 });
  });

  it("validates the period with 422 and is admin only", async () => {
    for (const q of [
      "",
      "period_start=2026-10-01T00:00:00Z",
      "period_start=yesterday&period_end=2026-11-01T00:00:00Z",
      `period_start=2026-11-01T00:00:00Z&period_end=2026-10-01T00:00:00Z`,
    ]) {
      const res = await client(em).get(`usage?${q}`);
      expect(res.status).toBe(422);
      expect(res.body.errors).toBeTypeOf("object");
    }
    await reset(em, { ...SEED, users: [{ email: "u@example.com", api_token: "user-token-0123456789" }] });
    expect((await client(em, "user-token-0123456789").get(`usage?${OCT}`)).status).toBe(403);
    await reset(em, SEED);
  });

  it("serves the public monitoring routes with empty graphs", async () => {
    const id = await lifetime(1, "2026-10-01T00:00:00Z", null);
    const uuid = (await client(em).get(`servers/${id}`)).body.data.uuid;
    for (const kind of ["cpu", "network", "disks", "memory"]) {
      expect((await client(em).get(`usage/${kind}/${uuid}`)).body).toEqual({ data: { items: [] } });
    }
    expect((await client(em).get("usage/cpu/00000000-0000-4000-8000-0000000000ff")).status).toBe(404);
  });

  it("can live under another path", async () => {
    const other = await startTestEmulator({ seed: SEED, usagePath: "billing/usage" });
    try {
      expect((await client(other).get(`billing/usage?${OCT}`)).status).toBe(200);
      expect((await client(other).get(`usage?${OCT}`)).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
