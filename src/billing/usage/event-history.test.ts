import type { Selectable } from "kysely";
import { describe, expect, it } from "vitest";
import type { ServerEventTable } from "../../db/schema.ts";
import { Decimal } from "../../domain/decimal.ts";
import { serverUsageInPeriod } from "../../domain/server-usage.ts";
import { historyFromEvents } from "./event-history.ts";

const DAY = { start: new Date("2026-10-01T00:00:00Z"), end: new Date("2026-11-01T00:00:00Z") };
const plan = (id: number, tph: number, tpm: number) => ({
  id,
  name: `${tph}/${tpm}`,
  tokens_per_hour: String(tph),
  tokens_per_month: String(tpm),
  ip_tokens_per_hour: "1",
  ip_tokens_per_month: "500",
  backup_price: "10",
});

let nextId = 1;
function event(name: string, at: string, data: Record<string, unknown>): Selectable<ServerEventTable> {
  return {
    id: BigInt(nextId++),
    event: name,
    server_id: 1n,
    at: new Date(at),
    data: { server_id: 1, ...data },
    recorded_at: new Date(),
  };
}

describe("historyFromEvents (usage source (c))", () => {
  it("gives the exact instants: resized at 10:30, deleted at 12:10 → 11 h / 77 and 2 h / 28 (§2.2)", () => {
    const rebuilt = historyFromEvents([
      event("compute_resource_vm_delete_requested", "2026-10-01T12:10:00Z", {}),
      event("compute_resource_vm_created", "2026-10-01T00:00:00Z", {
        plan_id: 2,
        user_id: 5,
        server_name: "web-1",
        server_uuid: "u-1",
        plan: plan(2, 7, 5000),
      }),
      event("compute_resource_vm_resized", "2026-10-01T10:30:00Z", { plan_id: 3, plan: plan(3, 14, 10000) }),
    ]);
    expect(rebuilt?.server).toEqual({ uuid: "u-1", name: "web-1" });
    expect(rebuilt?.solusioUserId).toBe(5);
    const groups = serverUsageInPeriod(rebuilt!.history, DAY);
    expect(groups.map((g) => [g.plan.name, g.hours, g.tokens])).toEqual([
      ["7/5000", 11n, 77n],
      ["14/10000", 2n, 28n],
    ]);
  });

  it("pairs IP creations and deletions by IP id, and backups switches at their instants", () => {
    const rebuilt = historyFromEvents([
      event("compute_resource_vm_created", "2026-10-01T00:00:00Z", { plan_id: 2, plan: plan(2, 7, 5000) }),
      event("additional_ip_created", "2026-10-01T00:00:00Z", { ip_id: 10 }),
      event("additional_ip_created", "2026-10-31T14:00:00Z", { ip_id: 11 }),
      event("compute_resource_vm_backups_switched", "2026-10-01T00:00:00Z", { enabled: true }),
    ]);
    const [group] = serverUsageInPeriod(rebuilt!.history, DAY);
    expect([group?.ips.count, group?.ips.hours, group?.ips.tokens]).toEqual([2n, 754n, 510n]);
    expect([group?.tokens, group?.backups.hours, group?.backups.tokens]).toEqual([5000n, 744n, 500n]);
  });

  it("has backups on from creation when the creation entry says so, or else the first sighting saw them on", () => {
    const backupTokens = (rebuilt: ReturnType<typeof historyFromEvents>) =>
      serverUsageInPeriod(rebuilt!.history, DAY)[0]?.backups.tokens;
    const created = (extra: Record<string, unknown>) =>
      event("compute_resource_vm_created", "2026-10-01T00:00:00Z", {
        plan_id: 2,
        plan: plan(2, 7, 5000),
        ...extra,
      });
    expect(backupTokens(historyFromEvents([created({ backups_enabled: true })]))).toBe(500n);
    expect(backupTokens(historyFromEvents([created({ backups_enabled: false })]))).toBe(0n);
    const sighted = { at: new Date("2026-10-01T00:05:00Z"), backupsEnabled: true };
    expect(backupTokens(historyFromEvents([created({})], undefined, sighted))).toBe(500n);
    // Switched on before the first sighting: the sighting saw the switch, not the state at creation.
    const switched = event("compute_resource_vm_backups_switched", "2026-10-16T00:00:00Z", { enabled: true });
    const late = { at: new Date("2026-10-20T00:00:00Z"), backupsEnabled: true };
    const fromSwitch = backupTokens(historyFromEvents([created({}), switched]));
    expect(fromSwitch).toBeLessThan(500n);
    expect(backupTokens(historyFromEvents([created({}), switched], undefined, late))).toBe(fromSwitch);
  });

  it("cannot rebuild a server whose creation is not in the log; names a plan whose prices are unknown", () => {
    expect(
      historyFromEvents([event("compute_resource_vm_resized", "2026-10-02T00:00:00Z", { plan_id: 3 })]),
    ).toBeNull();
    const created = event("compute_resource_vm_created", "2026-10-01T00:00:00Z", { plan_id: 9 });
    expect(historyFromEvents([created])?.unpricedPlanIds).toEqual([9]);
    const fallback = historyFromEvents([created], (id) =>
      id === 9
        ? {
            id: 9,
            name: "nine",
            tokensPerHour: 1n,
            tokensPerMonth: 0n,
            ipTokensPerHour: 0n,
            ipTokensPerMonth: 0n,
            backupPercent: Decimal.ZERO,
          }
        : null,
    );
    expect(fallback?.history.plans[0]?.plan.name).toBe("nine");
    expect(fallback?.unpricedPlanIds).toEqual([]);
  });
});
