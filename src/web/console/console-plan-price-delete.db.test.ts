import { afterAll, beforeAll, expect, it } from "vitest";
import {
  cliContext,
  type SolusioHarness,
  setupDeps,
  startSolusioHarness,
} from "../../../test/helpers/solusio-harness.ts";
import { applySetup, planSetup } from "../../services/setup/plan-setup.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";
import { ConsoleClient } from "./customer-test-client.ts";

// Deleting a plan price in the console, judged against the emulator: setup pushes only the plans priced in
// tokenbill (plan-setup.ts), so after a delete SolusIO keeps billing the plan at the prices it holds and
// Apply setup changes nothing. The list's notice says so, as it says after a save that setup is still to come.

let h: SolusioHarness;
let admin: ConsoleClient;

beforeAll(async () => {
  h = await startSolusioHarness();
  const input = { email: "admin@example.com", role: "admin" as const, password: "plan price admin pw" };
  await createStaffUser({ ctx: cliContext(h), input });
  admin = await ConsoleClient.logIn(h.server.url, input.email, input.password);
}, 60_000);
afterAll(async () => h?.close());

const noticeOf = (html: string) =>
  /<p class="notice" role="status" id="notice">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? "";

const solusioPlan = async (name: string) =>
  (await h.emu("GET", "/api/v1/plans")).body.data.find((p: { name: string }) => p.name === name);

it("says after a plan price is deleted that SolusIO keeps the plan's prices, which Apply setup leaves as they are", async () => {
  const name = "Deleted price";
  expect(
    (await h.emu("POST", "/api/v1/plans", { name, tokens_per_hour: 1, tokens_per_month: 1 })).status,
  ).toBe(201);
  const price = await h.server.api("POST", "/api/v1/plan-prices", {
    plan_name: name,
    tokens_per_hour: 7,
    tokens_per_month: 5000,
  });
  const deps = setupDeps(h);
  const setup = await planSetup(deps);
  await applySetup({ ...setup, steps: setup.steps.filter((s) => s.key === `plan:${name}`) });
  expect(await solusioPlan(name)).toMatchObject({ tokens_per_hour: 7, tokens_per_month: 5000 });

  const confirm = `/console/pricing/plans/${price.body.data.id}/delete`;
  const deleted = await admin.submit(confirm, confirm);
  expect(deleted).toMatchObject({ status: 303, location: "/console/pricing/plans?notice=deleted" });
  expect(noticeOf((await admin.get(deleted.location!)).text)).toBe(
    "Deleted. SolusIO keeps billing this plan at the prices it has now: setup changes only the plans priced here, so Apply setup leaves it as it is. To change what SolusIO bills for it, price it here again and apply setup, or change the plan in SolusIO.",
  );
  // What the notice says: setup has nothing to do for the plan, and SolusIO still bills the pushed price.
  expect((await planSetup(deps)).steps.map((s) => s.key)).not.toContain(`plan:${name}`);
  expect(await solusioPlan(name)).toMatchObject({ tokens_per_hour: 7, tokens_per_month: 5000 });
  // Other pricing lists' delete notice stays as it was: their rows reach SolusIO by no setup.
  expect(noticeOf((await admin.get("/console/pricing/currencies?notice=deleted")).text)).toBe("Deleted.");
});
