import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { client, reset, setClock, startTestEmulator, updatePlanAsSdk } from "./helpers.ts";

// billing-rules §2.2 for a plan re-priced in mid-month: the usage endpoint gives one item per server, plan AND
// price, each hour priced as it was at the instant the hour began (QA's November 2026 case).

const SEED = {
  plans: [
    {
      id: 1,
      name: "Small",
      tokens_per_hour: 8,
      tokens_per_month: 5000,
      is_backup_available: true,
      backup_price: 10,
    },
    {
      id: 2,
      name: "Medium",
      tokens_per_hour: 14,
      tokens_per_month: 10000,
      is_backup_available: true,
      backup_price: 10,
    },
  ],
  users: [{ id: 5, email: "alice@example.com", billing_user_id: 42 }],
};
const NOV = "period_start=2026-11-01T00:00:00Z&period_end=2026-12-01T00:00:00Z";

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em));

async function ok(res: Promise<{ status: number; text: string }>, status = 200) {
  const r = await res;
  expect(r.status, r.text).toBe(status);
  return r as typeof r & { body: { data: Record<string, unknown> } };
}

async function createAt(now: string, plan: number, backups = false): Promise<number> {
  await setClock(em, { now });
  const res = await ok(
    client(em).post("servers", {
      name: "web",
      plan,
      location: 1,
      user: 5,
      backup_settings: { enabled: backups },
    }),
    201,
  );
  return res.body.data["id"] as number;
}

async function november() {
  const res = await ok(client(em).get(`usage?${NOV}`));
  return (res.body.data as unknown as Item[]).map((i) => [
    i.server.id,
    i.plan.id,
    i.plan.tokens_per_hour,
    i.hours,
    i.tokens,
    i.charge,
    i.backups ? [i.backups.hours, i.backups.tokens] : null,
  ]);
}

interface Item {
  server: { id: number };
  plan: { id: number; tokens_per_hour: number };
  hours: number;
  tokens: number;
  charge: string;
  backups?: { hours: number; tokens: number };
}

describe("a plan re-priced in mid-month (billing-rules §2.2)", () => {
  it("splits each server's hours on the plan at the instant of the change: QA's November 2026 case", async () => {
    const s1 = await createAt("2026-11-01T00:00:00Z", 2);
    const s5 = await createAt("2026-11-10T05:20:00Z", 1, true);
    await setClock(em, { now: "2026-11-12T00:00:00Z" });
    await ok(client(em).post(`servers/${s5}/resize`, { plan_id: 2, preserve_disk: true }));
    await setClock(em, { now: "2026-11-15T00:00:00Z" });
    await ok(client(em).patch(`servers/${s5}`, { backup_settings: { enabled: false } }));
    await setClock(em, { now: "2026-11-16T00:00:00Z" });
    await ok(updatePlanAsSdk(em, 2, { tokens_per_hour: 20 }));
    // A change of something other than a price starts no new segment.
    await setClock(em, { now: "2026-11-18T00:00:00Z" });
    await ok(updatePlanAsSdk(em, 2, { name: "Medium (2 GB)" }));
    await setClock(em, { now: "2026-11-20T00:00:00Z" });
    await ok(client(em).del(`servers/${s5}`));
    await setClock(em, { now: "2026-12-01T00:00:00Z" });

    expect(await november()).toEqual([
      // s1: hours begin on the hour from 11-01 00:00. 11-01 00:00 … 11-15 23:00 = 15 × 24 = 360 h at 14 =
      // 5040 (under the 10000 cap); the change at 11-16 00:00 falls exactly when an hour begins, so that hour
      // is already at 20: 11-16 00:00 … 11-30 23:00 = 360 h × 20 = 7200. Together 12240, where the plan's
      // current price for the month was 720 × 20 = 14400, capped at 10000.
      [s1, 2, 14, 360, 5040, "hourly", null],
      [s1, 2, 20, 360, 7200, "hourly", null],
      // s5: hours begin at :20. Small 11-10 05:20 … 11-11 23:20 = 19 + 24 = 43 h × 8 = 344, backups on for
      // all 43: round(344 × 10 % × 43/43 = 34.4) = 34.
      [s5, 1, 8, 43, 344, "hourly", [43, 34]],
      // Medium at 14: 11-12 00:20 … 11-15 23:20 = 96 h × 14 = 1344 (the hour begun at 23:20 before the 00:00
      // change keeps the old price); backups on until 11-15 00:00: 72 h, round(1344 × 10 % × 72/96 = 100.8)
      // = 101.
      [s5, 2, 14, 96, 1344, "hourly", [72, 101]],
      // Medium at 20: 11-16 00:20 … 11-19 23:20 = 96 h × 20 = 1920, backups off.
      [s5, 2, 20, 96, 1920, "hourly", null],
    ]);
  });

  it("prices a plan's past from its history after the plan is deleted", async () => {
    const s = await createAt("2026-11-01T00:00:00Z", 1);
    await setClock(em, { now: "2026-11-02T00:00:00Z" });
    await ok(updatePlanAsSdk(em, 1, { tokens_per_hour: 9, backup_price: 10 }));
    await setClock(em, { now: "2026-11-03T00:00:00Z" });
    await ok(client(em).del(`servers/${s}`));
    await ok(client(em).del("plans/1"), 204);
    await setClock(em, { now: "2026-12-01T00:00:00Z" });
    // 24 h × 8 = 192, then 24 h × 9 = 216 (backup_price sent again unchanged: no price change).
    expect(await november()).toEqual([
      [s, 1, 8, 24, 192, "hourly", null],
      [s, 1, 9, 24, 216, "hourly", null],
    ]);
  });

  it("takes a plan priced before any server was on it at its new prices from its creation, the clock set back", async () => {
    // The sandbox's way: a plan made without prices at the real time, priced by setup a moment later, then the
    // clock set back a month and a server made. Until 2026-12-06 every hour before the pricing was at 0.
    await setClock(em, { now: "2026-12-06T02:32:08Z" });
    const made = await ok(
      client(em).post("plans", { name: "Unpriced", tokens_per_hour: 0, tokens_per_month: 0 }),
      201,
    );
    const plan = made.body.data["id"] as number;
    await setClock(em, { now: "2026-12-06T02:32:10Z" });
    await ok(updatePlanAsSdk(em, plan, { tokens_per_hour: 7, tokens_per_month: 5000 }));
    const s = await createAt("2026-11-01T00:00:00Z", plan);
    await setClock(em, { now: "2026-12-01T00:00:00Z" });
    // 720 h × 7 = 5040, capped at 5000.
    expect(await november()).toEqual([[s, plan, 7, 720, 5000, "monthly_cap", null]]);
    // Once a server has been on a plan, a new price is history from its instant on (the first case above).
  });

  it("prices the hours before a re-price at the plan's first prices when the plan was made after them", async () => {
    // The plan made at the real time, the clock then set back and a server run on it, re-priced in mid-month:
    // the plan's record of creation is dated after every hour billed. Until 2026-12-06 the whole month was at
    // the new price (QA: 744 h × 14 = 10416 instead of 7896).
    await setClock(em, { now: "2026-12-06T05:00:00Z" });
    const made = await ok(
      client(em).post("plans", { name: "P7", tokens_per_hour: 7, tokens_per_month: 20000 }),
      201,
    );
    const plan = made.body.data["id"] as number;
    const s = await createAt("2026-11-01T00:00:00Z", plan);
    await setClock(em, { now: "2026-11-16T00:00:00Z" });
    await ok(updatePlanAsSdk(em, plan, { tokens_per_hour: 14, tokens_per_month: 20000 }));
    await setClock(em, { now: "2026-12-01T00:00:00Z" });
    // 11-01 00:00 … 11-15 23:00 = 360 h × 7 = 2520; 11-16 00:00 … 11-30 23:00 = 360 h × 14 = 5040.
    expect(await november()).toEqual([
      [s, plan, 7, 360, 2520, "hourly", null],
      [s, plan, 14, 360, 5040, "hourly", null],
    ]);
  });
});
