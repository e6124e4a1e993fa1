import { afterAll, beforeAll, expect, it } from "vitest";
import { runDoctor } from "../../src/services/setup/doctor.ts";
import { planSetup } from "../../src/services/setup/plan-setup.ts";
import { type SolusioHarness, setupDeps, startSolusioHarness } from "../helpers/solusio-harness.ts";

// `tokenbill solusio setup` and `doctor` read SolusIO's plans: each price they see is recorded for usage
// source (c) as the server's poll records its reads (recordPlanPrices, migration 030), at SolusIO's time of
// the read. Until 2026-12 they recorded nothing, and a re-price only they had seen counted from the next poll.

let h: SolusioHarness;

beforeAll(async () => {
  h = await startSolusioHarness();
});
afterAll(async () => h?.close());

const changesOf = (planId: number) =>
  h.db
    .selectFrom("plan_price_change")
    .select(["seen", "tokens_per_hour", "tokens_per_month", "effective_at"])
    .where("plan_id", "=", BigInt(planId))
    .orderBy("effective_at")
    .execute();

it("records the plan prices setup and doctor read, once per change", async () => {
  const deps = setupDeps(h);
  const created = await h.emu("POST", "/api/v1/plans", {
    name: "Seen",
    tokens_per_hour: 3,
    tokens_per_month: 2000,
  });
  expect(created.status).toBe(201);
  const plan = created.body.data;
  const clock = async () => Date.parse((await h.emu("GET", "/_emulator/clock")).body.data.now);

  const before = await clock();
  await planSetup(deps);
  const read = await changesOf(plan.id);
  expect(read.map((r) => [r.seen, r.tokens_per_hour, r.tokens_per_month])).toEqual([["read", 3n, 2000n]]);
  // SolusIO's time of the read (its Date header, to the second), not ours.
  expect(read[0]!.effective_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
  expect(read[0]!.effective_at.getTime()).toBeLessThanOrEqual(await clock());

  // The same prices read again are no change.
  await runDoctor(deps);
  expect(await changesOf(plan.id)).toHaveLength(1);

  // Re-priced in SolusIO by hand a minute later (two reads in one second of SolusIO's clock are one instant):
  // doctor's read records the new prices.
  const later = new Date((await clock()) + 60_000).toISOString();
  expect((await h.emu("POST", "/_emulator/clock", { now: later })).status).toBe(200);
  const { id: _id, ...body } = plan;
  const put = await h.emu("PUT", `/api/v1/plans/${plan.id}`, { ...body, tokens_per_hour: 5 });
  expect(put.status).toBe(200);
  await runDoctor(deps);
  expect((await changesOf(plan.id)).map((r) => [r.seen, r.tokens_per_hour])).toEqual([
    ["read", 3n],
    ["read", 5n],
  ]);
});
