import { describe, expect, it } from "vitest";
import type { ServerSegmentTable, ServerSnapshotTable } from "../../db/schema.ts";
import type { Selectable } from "kysely";
import { serverUsageInPeriod } from "../../domain/server-usage.ts";
import { historyFromSegments } from "./segment-history.ts";

const OCTOBER = { start: new Date("2026-10-01T00:00:00Z"), end: new Date("2026-11-01T00:00:00Z") };
const at = (hours: number) => new Date(OCTOBER.start.getTime() + hours * 3_600_000);

const SMALL = {
  plan_id: 2n,
  plan_name: "small",
  tokens_per_hour: 7n,
  tokens_per_month: 5000n,
  ip_tokens_per_hour: 1n,
  ip_tokens_per_month: 500n,
  backup_percent: "10.000000",
};
const BIG = { ...SMALL, plan_id: 3n, plan_name: "big", tokens_per_hour: 14n, tokens_per_month: 10000n };

function snapshot(extra: Partial<Selectable<ServerSnapshotTable>> = {}): Selectable<ServerSnapshotTable> {
  return {
    server_id: 1n,
    uuid: "u-1",
    name: "web-1",
    solusio_user_id: 5n,
    billing_user_id: 42n,
    ...SMALL,
    additional_ips: 0,
    backups_enabled: false,
    segment_seq: 0,
    created_at: at(0),
    first_seen_at: at(0),
    last_seen_at: at(744),
    gone_at: null,
    ...extra,
  };
}

function segment(
  seq: number,
  startedAt: Date,
  extra: Partial<Selectable<ServerSegmentTable>> = {},
): Selectable<ServerSegmentTable> {
  return {
    server_id: 1n,
    seq,
    started_at: startedAt,
    solusio_user_id: 5n,
    billing_user_id: 42n,
    ...SMALL,
    backups_enabled: false,
    additional_ips: 0,
    ...extra,
  };
}

describe("historyFromSegments (usage source (b))", () => {
  it("bills each plan from the sighting that first saw it: 400 h small then 344 h big (§2.2 example 1)", () => {
    const history = historyFromSegments(snapshot(), [segment(0, at(0)), segment(1, at(400), BIG)]);
    const groups = serverUsageInPeriod(history, OCTOBER);
    expect(groups.map((g) => [g.plan.name, g.hours, g.tokens, g.charge])).toEqual([
      ["small", 400n, 2800n, "hourly"],
      ["big", 344n, 4816n, "hourly"],
    ]);
  });

  it("ends a gone server just after its last sighting, so the hour that starts then is billed", () => {
    const history = historyFromSegments(snapshot({ last_seen_at: at(10), gone_at: at(11) }), [
      segment(0, at(0)),
    ]);
    expect(history.deletedAt).toEqual(new Date(at(10).getTime() + 1));
    expect(serverUsageInPeriod(history, OCTOBER)[0]?.hours).toBe(11n);
  });

  it("turns IP counts into lifetimes: added when first seen, the newest removed first", () => {
    const history = historyFromSegments(snapshot(), [
      segment(0, at(0), { additional_ips: 1 }),
      segment(1, at(734), { additional_ips: 2 }),
      segment(2, at(740), { additional_ips: 1 }),
    ]);
    expect(history.ips).toEqual([
      { id: "1.1", attachedAt: at(734), detachedAt: at(740) },
      { id: "0.0", attachedAt: at(0), detachedAt: null },
    ]);
    const [group] = serverUsageInPeriod(history, OCTOBER);
    // 744 IP-hours capped at 500, plus 6 h at 1 token.
    expect([group?.ips.count, group?.ips.hours, group?.ips.tokens]).toEqual([2n, 750n, 506n]);
  });

  it("switches backups at the sighting, and a segment never starts before the one before it", () => {
    const history = historyFromSegments(snapshot(), [
      segment(0, at(0)),
      segment(1, at(200), { backups_enabled: true }),
      segment(2, at(100), { backups_enabled: false }),
    ]);
    expect(history.backups.map((b) => [b.at, b.enabled])).toEqual([
      [at(0), false],
      [at(200), true],
      [at(200), false],
    ]);
  });
});
