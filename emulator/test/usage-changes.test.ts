import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { client, reset, setClock, startTestEmulator } from "./helpers.ts";

// billing-rules §2.2: every worked example, October 2026 (744 h), through HTTP — the resize, IP and backup routes
// with the emulator clock — and read back from the usage endpoint, one item per server and plan.

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
      is_backup_available: true,
      backup_price: 10,
    },
    {
      id: 2,
      name: "14/10000",
      tokens_per_hour: 14,
      tokens_per_month: 10000,
      ip_tokens_per_hour: 1,
      ip_tokens_per_month: 500,
      is_additional_ips_available: true,
    },
  ],
  users: [{ id: 5, email: "alice@example.com", billing_user_id: 42 }],
};
const OCT = "period_start=2026-10-01T00:00:00Z&period_end=2026-11-01T00:00:00Z";

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em));

async function createAt(now: string, extra: Record<string, unknown> = {}): Promise<number> {
  await setClock(em, { now });
  const res = await client(em).post("servers", { name: "web", plan: 1, location: 1, user: 5, ...extra });
  expect(res.status).toBe(201);
  return res.body.data.id;
}

async function ok(res: Promise<{ status: number; text: string }>) {
  const r = await res;
  expect(r.status, r.text).toBe(200);
}

async function october() {
  const res = await client(em).get(`usage?${OCT}`);
  expect(res.status).toBe(200);
  return res.body.data;
}

const line = (i: { plan: { id: number }; hours: number; tokens: number; charge: string }) => [
  i.plan.id,
  i.hours,
  i.tokens,
  i.charge,
];

describe("billing-rules §2.2 worked examples", () => {
  it("7/5000 for 400 h, then resized to 14/10000 for 344 h → 400 h/2800 and 344 h/4816, total 7616", async () => {
    const id = await createAt("2026-10-01T00:00:00Z");
    await setClock(em, { advance_hours: 400 });
    await ok(client(em).post(`servers/${id}/resize`, { plan_id: 2, preserve_disk: true }));
    await setClock(em, { now: "2026-11-01T00:00:00Z" });
    const items = await october();
    expect(items.map(line)).toEqual([
      [1, 400, 2800, "hourly"],
      [2, 344, 4816, "hourly"],
    ]);
    expect(items.reduce((sum: number, i: { tokens: number }) => sum + i.tokens, 0)).toBe(7616);
  });

  it("created 00:00 on 7/5000, resized at 10:30 to 14/10000, deleted 12:10 → 11 h/77 and 2 h/28", async () => {
    const id = await createAt("2026-10-01T00:00:00Z");
    await setClock(em, { now: "2026-10-01T10:30:00Z" });
    await ok(client(em).post(`servers/${id}/resize`, { plan_id: 2 }));
    await setClock(em, { now: "2026-10-01T12:10:00Z" });
    await ok(client(em).del(`servers/${id}`));
    expect((await october()).map(line)).toEqual([
      [1, 11, 77, "hourly"],
      [2, 2, 28, "hourly"],
    ]);
  });

  it("7/5000 all month with backups 10 % on all month → 5000 monthly_cap and backups 500", async () => {
    await createAt("2026-10-01T00:00:00Z", { backup_settings: { enabled: true } });
    await setClock(em, { now: "2026-11-01T00:00:00Z" });
    const [item] = await october();
    expect(line(item)).toEqual([1, 744, 5000, "monthly_cap"]);
    expect(item.backups).toEqual({ price_percent: 10, hours: 744, tokens: 500 });
  });

  it("7/5000 for 300 h with backups 10 % on for 100 of them → 2100 hourly and backups 70", async () => {
    const id = await createAt("2026-10-01T00:00:00Z");
    await setClock(em, { advance_hours: 200 });
    await ok(client(em).patch(`servers/${id}`, { backup_settings: { enabled: true } }));
    await setClock(em, { advance_hours: 100 });
    await ok(client(em).del(`servers/${id}`));
    const [item] = await october();
    expect(line(item)).toEqual([1, 300, 2100, "hourly"]);
    expect(item.backups).toEqual({ price_percent: 10, hours: 100, tokens: 70 });
  });

  it("7/5000 with IPs at 1/500: one IP all month, a second for the last 10 h → 2 IPs, 754 IP-hours, 510", async () => {
    const id = await createAt("2026-10-01T00:00:00Z", { additional_ip_count: 1 });
    await setClock(em, { now: "2026-10-31T14:00:00Z" });
    await ok(client(em).post(`servers/${id}/ips`, { count: 1 }));
    await setClock(em, { now: "2026-11-01T00:00:00Z" });
    const [item] = await october();
    expect(item.additional_ips).toEqual({
      count: 2,
      hours: 754,
      tokens: 510,
      charge: "monthly_cap",
      ips: [
        { id: 2, hours: 744, tokens: 500 },
        { id: 3, hours: 10, tokens: 10 },
      ],
    });
    expect(item.backups).toBeUndefined();
  });
});

describe("how changes split a server's usage", () => {
  it("a resize exactly at an hour's start applies to that hour; back to the first plan joins its group", async () => {
    const id = await createAt("2026-10-01T00:00:00Z");
    await setClock(em, { now: "2026-10-01T05:00:00Z" });
    await ok(client(em).post(`servers/${id}/resize`, { plan_id: 2 }));
    await setClock(em, { now: "2026-10-01T08:00:00Z" });
    await ok(client(em).post(`servers/${id}/resize`, { plan_id: 1 }));
    await setClock(em, { now: "2026-10-01T10:00:00Z" });
    // Plan 1: 00…04 and 08, 09 → 7 h; plan 2: 05, 06, 07 → 3 h. Items in the order each plan was first held.
    expect((await october()).map(line)).toEqual([
      [1, 7, 49, "hourly"],
      [2, 3, 42, "hourly"],
    ]);
  });

  it("removed IPs stop counting at their detach instant; IP-hours follow the plan of each IP-hour's start", async () => {
    const id = await createAt("2026-10-01T00:00:00Z", { additional_ip_count: 2 });
    const ips = (await client(em).get(`servers/${id}`)).body.data.ips.map((ip: { id: number }) => ip.id);
    await setClock(em, { now: "2026-10-01T02:30:00Z" });
    await ok(client(em).request("DELETE", `servers/${id}/ips`, { ids: [ips[2]] }));
    await setClock(em, { now: "2026-10-01T03:00:00Z" });
    await ok(client(em).post(`servers/${id}/resize`, { plan_id: 2 }));
    await setClock(em, { now: "2026-10-01T05:00:00Z" });
    const items = await october();
    // The kept IP: 3 IP-hours on plan 1, 2 on plan 2; the removed one: 00, 01, 02 on plan 1.
    expect(items.map((i: { additional_ips: unknown }) => i.additional_ips)).toEqual([
      {
        count: 2,
        hours: 6,
        tokens: 6,
        charge: "hourly",
        ips: [
          { id: ips[1], hours: 3, tokens: 3 },
          { id: ips[2], hours: 3, tokens: 3 },
        ],
      },
      { count: 1, hours: 2, tokens: 2, charge: "hourly", ips: [{ id: ips[1], hours: 2, tokens: 2 }] },
    ]);
    // GET servers shows only the IPs still attached.
    const now = (await client(em).get(`servers/${id}`)).body.data;
    expect(now.ips.map((ip: { id: number }) => ip.id)).toEqual([ips[0], ips[1]]);
    expect(now.ip_addresses.ipv4).toHaveLength(2);
  });

  it("backups switched on and off twice count only the hours that started while on", async () => {
    const id = await createAt("2026-10-01T00:00:00Z");
    for (const [at, enabled] of [
      ["2026-10-01T01:30:00Z", true], // hours 02, 03 on
      ["2026-10-01T03:10:00Z", false],
      ["2026-10-01T06:00:00Z", true], // hours 06, 07 on
    ] as const) {
      await setClock(em, { now: at });
      await ok(client(em).patch(`servers/${id}`, { backup_settings: { enabled } }));
    }
    await setClock(em, { now: "2026-10-01T08:00:00Z" });
    const [item] = await october();
    // 8 h × 7 = 56 tokens; round(56 × 10 % × 4/8) = round(2.8) = 3.
    expect(line(item)).toEqual([1, 8, 56, "hourly"]);
    expect(item.backups).toEqual({ price_percent: 10, hours: 4, tokens: 3 });
  });
});
