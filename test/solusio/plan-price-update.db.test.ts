import { afterAll, beforeAll, expect, it } from "vitest";
import { applySetup, planSetup } from "../../src/services/setup/plan-setup.ts";
import {
  callLogWritten,
  type SolusioHarness,
  setupDeps,
  startSolusioHarness,
} from "../helpers/solusio-harness.ts";

// Setup changes a plan's token prices with the plan's whole update body, as the Go SDK's PlanUpdateRequest
// sends every field (solusio-api.md §5). Until 2026-12-06 it sent the four token fields alone: a SolusIO that
// replaces what a PUT omits could hide the plan or switch its paid backups off, or refuse the body (422).

let h: SolusioHarness;

beforeAll(async () => {
  h = await startSolusioHarness();
});
afterAll(async () => h?.close());

it("changes only the token prices, sending the plan as SolusIO just showed it", async () => {
  const limits = { network_total_traffic: { is_enabled: true, limit: 5, unit: "TB" } };
  const created = await h.emu("POST", "/api/v1/plans", {
    name: "Hidden backups",
    tokens_per_hour: 1,
    tokens_per_month: 1,
    is_visible: false,
    is_backup_available: true,
    backup_price: 12.5,
    is_additional_ips_available: true,
    iso_image_tokens_per_month: 300,
    limits,
    // Stored by the emulator since 2026-12-06 (before, shown as fixed values whatever was sent): a price
    // update must keep them too.
    position: 3,
    is_snapshots_enabled: true,
    reset_limit_policy: "first_day_of_month",
    network_traffic_limit_type: "total",
  });
  expect(created.status).toBe(201);
  const id = created.body.data.id as number;
  await h.server.api("POST", "/api/v1/plan-prices", {
    plan_name: "Hidden backups",
    tokens_per_hour: 8,
    tokens_per_month: 5000,
    ip_tokens_per_hour: 1,
    ip_tokens_per_month: 500,
  });
  const before = (await h.emu("GET", `/api/v1/plans/${id}`)).body.data;
  const deps = setupDeps(h);
  const setup = await planSetup(deps);
  await applySetup({ ...setup, steps: setup.steps.filter((s) => s.key === "plan:Hidden backups") });

  const prices = {
    tokens_per_hour: 8,
    tokens_per_month: 5000,
    ip_tokens_per_hour: 1,
    ip_tokens_per_month: 500,
  };
  const after = (await h.emu("GET", `/api/v1/plans/${id}`)).body.data;
  expect(after).toEqual({ ...before, ...prices });

  await callLogWritten(h);
  const calls = await h.db
    .selectFrom("solusio_call")
    .select(["method", "path", "request_body"])
    .where("path", "like", `plans%`)
    .orderBy("id")
    .execute();
  // Read just before the write, so that a setting changed since setup listed the plans is kept too.
  expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
    "GET plans",
    `GET plans/${id}`,
    `PUT plans/${id}`,
  ]);
  expect(calls[2]?.request_body).toEqual({
    // plans.go PlanUpdateRequest, every field as the plan was read.
    name: "Hidden backups",
    limits: before.limits,
    tokens_per_hour: 8,
    tokens_per_month: 5000,
    position: 3,
    is_visible: false,
    is_default: false,
    is_snapshots_enabled: true,
    is_backup_available: true,
    backup_price: 12.5,
    reset_limit_policy: "first_day_of_month",
    network_traffic_limit_type: "total",
    // Beyond the Go SDK: the IP prices setup sets, and what third-party SDKs send.
    ip_tokens_per_hour: 1,
    ip_tokens_per_month: 500,
    is_additional_ips_available: true,
    iso_image_tokens_per_hour: 0,
    iso_image_tokens_per_month: 300,
  });
});
