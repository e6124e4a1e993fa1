import { describe, expect, it } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { Decimal } from "./decimal.ts";
import { backupTokens, type PlanRates, type ServerHistory, serverUsageInPeriod } from "./server-usage.ts";

const HOUR = 3_600_000;
const OCT = { start: new Date("2026-10-01T00:00:00Z"), end: new Date("2026-11-01T00:00:00Z") };
const NOV = { start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-12-01T00:00:00Z") };
const at = (iso: string) => new Date(iso);
const plus = (d: Date, hours: number) => new Date(d.getTime() + hours * HOUR);

function plan(id: number, tph: bigint, tpm: bigint, extra: Partial<PlanRates> = {}): PlanRates {
  return {
    id,
    name: `${tph}/${tpm}`,
    tokensPerHour: tph,
    tokensPerMonth: tpm,
    ipTokensPerHour: 1n,
    ipTokensPerMonth: 500n,
    backupPercent: Decimal.ZERO,
    ...extra,
  };
}
const SMALL = plan(1, 7n, 5000n);
const LARGE = plan(2, 14n, 10000n);

function server(createdAt: Date, deletedAt: Date | null, more: Partial<ServerHistory> = {}): ServerHistory {
  return { createdAt, deletedAt, plans: [{ from: createdAt, plan: SMALL }], backups: [], ips: [], ...more };
}

/** The runtime lines only, as the spec's tables state them. */
function lines(history: ServerHistory, period = OCT, now?: Date) {
  return serverUsageInPeriod(history, period, now).map((g) => [g.plan.name, g.hours, g.tokens, g.charge]);
}

function expectValidation(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    expect((e as ServiceError).code).toBe("VALIDATION");
    expect((e as ServiceError).issues[0]?.field).toBe(field);
    return;
  }
  throw new Error("expected a validation error");
}

describe("§2.2 worked examples (October 2026, 744 h)", () => {
  it("7/5000 for 400 h, then 14/10000 for 344 h → 2800 hourly + 4816 hourly = 7616", () => {
    const h = server(OCT.start, null, {
      plans: [
        { from: OCT.start, plan: SMALL },
        { from: plus(OCT.start, 400), plan: LARGE },
      ],
    });
    const groups = serverUsageInPeriod(h, OCT);
    expect(lines(h)).toEqual([
      ["7/5000", 400n, 2800n, "hourly"],
      ["14/10000", 344n, 4816n, "hourly"],
    ]);
    expect(groups.reduce((sum, g) => sum + g.tokens, 0n)).toBe(7616n);
  });

  it("created 00:00 on 7/5000, resized 10:30 to 14/10000, deleted 12:10 → 11 h / 77, 2 h / 28", () => {
    const created = at("2026-10-05T00:00:00Z");
    const h = server(created, at("2026-10-05T12:10:00Z"), {
      plans: [
        { from: created, plan: SMALL },
        { from: at("2026-10-05T10:30:00Z"), plan: LARGE },
      ],
    });
    expect(lines(h)).toEqual([
      ["7/5000", 11n, 77n, "hourly"],
      ["14/10000", 2n, 28n, "hourly"],
    ]);
  });

  it("7/5000 all month, backups 10 % all month → runtime 5000 monthly_cap, backups 500", () => {
    const withBackups = { ...SMALL, backupPercent: Decimal.parse("10") };
    const h = server(OCT.start, null, {
      plans: [{ from: OCT.start, plan: withBackups }],
      backups: [{ at: OCT.start, enabled: true }],
    });
    const [g] = serverUsageInPeriod(h, OCT);
    expect([g?.hours, g?.tokens, g?.charge]).toEqual([744n, 5000n, "monthly_cap"]);
    expect(g?.backups).toEqual({ percent: Decimal.parse("10"), hours: 744n, tokens: 500n });
  });

  it("7/5000 for 300 h, backups 10 % on for 100 of them → runtime 2100 hourly, backups 70", () => {
    const withBackups = { ...SMALL, backupPercent: Decimal.parse("10") };
    const h = server(OCT.start, plus(OCT.start, 300), {
      plans: [{ from: OCT.start, plan: withBackups }],
      backups: [
        { at: plus(OCT.start, 50), enabled: true },
        { at: plus(OCT.start, 150), enabled: false },
      ],
    });
    const [g] = serverUsageInPeriod(h, OCT);
    expect([g?.hours, g?.tokens, g?.charge]).toEqual([300n, 2100n, "hourly"]);
    expect([g?.backups.hours, g?.backups.tokens]).toEqual([100n, 70n]);
  });

  it("7/5000 with IP 1/500: IP #1 all month, IP #2 the last 10 h → quantity 2, 754 IP-hours, 510 tokens", () => {
    const h = server(OCT.start, null, {
      ips: [
        { id: "ip-1", attachedAt: OCT.start, detachedAt: null },
        { id: "ip-2", attachedAt: plus(OCT.end, -10), detachedAt: null },
      ],
    });
    const [g] = serverUsageInPeriod(h, OCT);
    expect(g?.ips).toEqual({
      count: 2n,
      hours: 754n,
      tokens: 510n,
      charge: "monthly_cap", // the cap won for IP #1
      perIp: [
        { id: "ip-1", hours: 744n, tokens: 500n },
        { id: "ip-2", hours: 10n, tokens: 10n },
      ],
    });
  });
});

describe("§2.1 a running server, seen now", () => {
  const created = at("2026-10-02T08:15:00Z");

  it("created T, looked at with now = T + 700 h → 700 hours, not 701", () => {
    expect(lines(server(created, null), OCT, plus(created, 700))).toEqual([
      ["7/5000", 700n, 4900n, "hourly"],
    ]);
    // One millisecond later the 701st hour has started.
    const later = new Date(plus(created, 700).getTime() + 1);
    expect(serverUsageInPeriod(server(created, null), OCT, later)[0]?.hours).toBe(701n);
  });

  it("deleted at exactly T + 700 h → 700 hours", () => {
    expect(lines(server(created, plus(created, 700)))).toEqual([["7/5000", 700n, 4900n, "hourly"]]);
  });

  it("`now` also ends the IPs' hours; nothing before creation is counted", () => {
    const h = server(created, null, { ips: [{ id: "a", attachedAt: created, detachedAt: null }] });
    expect(serverUsageInPeriod(h, OCT, plus(created, 3))[0]?.ips.hours).toBe(3n);
    expect(serverUsageInPeriod(h, OCT, plus(created, -1))).toEqual([]);
  });
});

describe("§2.2 when a change takes effect", () => {
  const created = at("2026-10-05T00:00:00Z");
  const resizedAt = (t: Date) =>
    server(created, plus(created, 10), {
      plans: [
        { from: created, plan: SMALL },
        { from: t, plan: LARGE },
      ],
    });

  it("a resize exactly at an hour's start applies to that hour", () => {
    expect(lines(resizedAt(plus(created, 4))).map((l) => l[1])).toEqual([4n, 6n]);
  });

  it("a resize inside an hour takes effect from the next hour", () => {
    expect(lines(resizedAt(new Date(plus(created, 4).getTime() + 1))).map((l) => l[1])).toEqual([5n, 5n]);
    expect(lines(resizedAt(new Date(plus(created, 5).getTime() - 1))).map((l) => l[1])).toEqual([5n, 5n]);
  });

  it("two intervals of one plan are one group, capped once; a re-priced plan is a new group", () => {
    const h = server(OCT.start, null, {
      plans: [
        { from: OCT.start, plan: SMALL },
        { from: plus(OCT.start, 100), plan: LARGE },
        { from: plus(OCT.start, 110), plan: SMALL },
        { from: plus(OCT.start, 120), plan: { ...SMALL, name: "7/4000", tokensPerMonth: 4000n } },
      ],
    });
    expect(lines(h)).toEqual([
      ["7/5000", 110n, 770n, "hourly"],
      ["14/10000", 10n, 140n, "hourly"],
      ["7/4000", 624n, 4000n, "monthly_cap"],
    ]);
  });

  it("an IP-hour is priced by the plan in effect when it starts, not when the server's hour starts", () => {
    // The IP's hours start at :30; the resize at 02:15 catches the IP-hour 02:30 but the server hour 03:00.
    const created = at("2026-10-05T00:00:00Z");
    const h = server(created, plus(created, 4), {
      plans: [
        { from: created, plan: SMALL },
        { from: at("2026-10-05T02:15:00Z"), plan: { ...LARGE, ipTokensPerHour: 3n } },
      ],
      ips: [{ id: "a", attachedAt: at("2026-10-05T00:30:00Z"), detachedAt: null }],
    });
    const groups = serverUsageInPeriod(h, OCT);
    expect(groups.map((g) => [g.hours, g.ips.hours, g.ips.tokens])).toEqual([
      [3n, 2n, 2n], // server 00:00, 01:00, 02:00; IP 00:30, 01:30
      [1n, 2n, 6n], // server 03:00; IP 02:30, 03:30 (03:30 < deletion 04:00)
    ]);
  });

  it("a detached and re-attached IP is one IP, capped once per plan group", () => {
    const h = server(OCT.start, null, {
      ips: [
        { id: "a", attachedAt: OCT.start, detachedAt: plus(OCT.start, 400) },
        { id: "a", attachedAt: plus(OCT.start, 500), detachedAt: null },
      ],
    });
    expect(serverUsageInPeriod(h, OCT)[0]?.ips).toMatchObject({ count: 1n, hours: 644n, tokens: 500n });
  });
});

describe("§2 table examples still hold with a single plan", () => {
  it.each([
    ["5 minutes", 5 / 60, SMALL, [1n, 7n, "hourly"]],
    ["700 h", 700, SMALL, [700n, 4900n, "hourly"]],
    ["730 h", 730, SMALL, [730n, 5000n, "monthly_cap"]],
    ["744 h, plan 7/0", 744, plan(4, 7n, 0n), [744n, 5208n, "hourly"]],
    ["3 h, plan 0/5000", 3, plan(3, 0n, 5000n), [3n, 5000n, "monthly_fixed"]],
  ] as const)("%s", (_, hours, p, expected) => {
    const h = { ...server(OCT.start, plus(OCT.start, hours)), plans: [{ from: OCT.start, plan: p }] };
    const [g] = serverUsageInPeriod(h, OCT);
    expect([g?.hours, g?.tokens, g?.charge]).toEqual(expected);
  });

  it("created 2026-10-31T22:30Z, deleted 2026-11-01T01:10Z → Oct 2 h / 14, Nov 1 h / 7", () => {
    const h = server(at("2026-10-31T22:30:00Z"), at("2026-11-01T01:10:00Z"));
    expect(lines(h, OCT)).toEqual([["7/5000", 2n, 14n, "hourly"]]);
    expect(lines(h, NOV)).toEqual([["7/5000", 1n, 7n, "hourly"]]);
  });

  it("counts a decade-long lifetime arithmetically", () => {
    const h = server(at("2020-01-01T00:00:00Z"), null);
    const [g] = serverUsageInPeriod(h, {
      start: at("2020-01-01T00:00:00Z"),
      end: at("2030-01-01T00:00:00Z"),
    });
    expect(g?.hours).toBe(87_672n); // 3653 days
  });
});

describe("paid backups", () => {
  it("rounds half away from zero on exact fractions and takes fractional percents", () => {
    const p = { ...plan(5, 1n, 0n), backupPercent: Decimal.parse("12.5") };
    const h = (hours: number, on: number) =>
      server(OCT.start, plus(OCT.start, hours), {
        plans: [{ from: OCT.start, plan: p }],
        backups: [{ at: plus(OCT.start, hours - on), enabled: true }],
      });
    // 4 tokens × 12.5 % × 1/1 = 0.5 → 1; 3 tokens × 12.5 % × 3/3 = 0.375 → 0; 20 × 0.125 × 3/4 = 1.875 → 2.
    expect(serverUsageInPeriod(h(4, 4), OCT)[0]?.backups.tokens).toBe(1n);
    expect(serverUsageInPeriod(h(3, 3), OCT)[0]?.backups.tokens).toBe(0n);
    const twenty = { ...p, tokensPerHour: 5n };
    const h2 = { ...h(4, 3), plans: [{ from: OCT.start, plan: twenty }] };
    expect(serverUsageInPeriod(h2, OCT)[0]?.backups).toMatchObject({ hours: 3n, tokens: 2n });
  });

  it("costs nothing at 0 % even when switched on", () => {
    const h = server(OCT.start, null, { backups: [{ at: OCT.start, enabled: true }] });
    expect(serverUsageInPeriod(h, OCT)[0]?.backups).toEqual({
      percent: Decimal.ZERO,
      hours: 744n,
      tokens: 0n,
    });
  });
});

describe("input checks", () => {
  // The history's own checks are in server-history.test.ts.
  it("rejects an empty or inverted period and an invalid `now`", () => {
    const h = server(OCT.start, null);
    expectValidation(() => serverUsageInPeriod(h, { start: OCT.end, end: OCT.end }), "period.end");
    expectValidation(() => serverUsageInPeriod(h, { start: new Date("x"), end: OCT.end }), "period.start");
    expectValidation(() => serverUsageInPeriod(h, OCT, new Date(Number.NaN)), "now");
  });
});

describe("backupTokens", () => {
  it("is the §2.2 formula, and refuses what no group can have", () => {
    expect(backupTokens(2100n, Decimal.parse("10"), 100n, 300n)).toBe(70n);
    expect(backupTokens(5000n, Decimal.parse("10"), 744n, 744n)).toBe(500n);
    expectValidation(() => backupTokens(10n, Decimal.parse("10"), 5n, 4n), "backupHours");
    expectValidation(() => backupTokens(-1n, Decimal.parse("10"), 1n, 1n), "runtimeTokens");
    expectValidation(() => backupTokens(10n, Decimal.parse("100.5"), 1n, 1n), "backupPercent");
  });
});
