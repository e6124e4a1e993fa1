import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { billableHoursInPeriod, chargeAdditionalIps, chargeServer } from "./charges.ts";
import { Decimal } from "./decimal.ts";
import {
  type PlanGroupUsage,
  type PlanRates,
  type ServerHistory,
  serverUsageInPeriod,
} from "./server-usage.ts";

// Properties of billing-rules §2.1–§2.2 over random histories (resizes, backup switches, additional IPs),
// checked against an oracle that walks the hours one by one: slow, obviously right, independent of the
// interval arithmetic under test.

const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 9, 1); // 2026-10-01T00:00Z
const MONTH = { start: new Date(BASE), end: new Date(Date.UTC(2026, 10, 1)) };
const d = (offset: number) => new Date(BASE + offset);

// Instants up to `hours` after BASE: half of them exactly on an hour boundary, where off-by-ones live.
const arbOffset = (hours: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: hours }).map((h) => h * HOUR),
    fc.integer({ min: 0, max: hours * HOUR }),
  );
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

const arbPlan = fc.record({
  id: fc.integer({ min: 1, max: 3 }),
  name: fc.constant("p"),
  tokensPerHour: fc.bigInt({ min: 0n, max: 20n }),
  tokensPerMonth: fc.constantFrom(0n, 100n, 1000n, 5000n),
  ipTokensPerHour: fc.bigInt({ min: 0n, max: 3n }),
  ipTokensPerMonth: fc.constantFrom(0n, 50n, 500n),
  backupPercent: fc.constantFrom("0", "10", "12.5", "33.33", "100").map((p) => Decimal.parse(p)),
});

const arbHistory: fc.Arbitrary<ServerHistory> = fc
  .record({
    created: arbOffset(800),
    life: fc.option(arbOffset(1000), { nil: null }),
    // A few plans, so that resizes return to an earlier plan (one group, two intervals).
    pool: fc.array(arbPlan, { minLength: 1, maxLength: 3 }),
    resizes: fc.array(fc.tuple(arbOffset(1200), fc.nat()), { maxLength: 5 }),
    switches: fc.array(fc.tuple(arbOffset(1500), fc.boolean()), { maxLength: 6 }),
    ips: fc.array(fc.tuple(arbOffset(900), fc.option(arbOffset(900), { nil: null })), { maxLength: 3 }),
  })
  .map(({ created, life, pool, resizes, switches, ips }) => {
    const pick = (n: number) => pool[n % pool.length]!;
    const resizeTimes = sorted(resizes.map(([t]) => t));
    return {
      createdAt: d(created),
      deletedAt: life === null ? null : d(created + life),
      plans: [
        { from: d(created), plan: pool[0]! },
        ...resizeTimes.map((t, i) => ({ from: d(created + t), plan: pick(resizes[i]![1]) })),
      ],
      // Switches may lie before creation: the state at creation is what the last earlier one set.
      backups: sorted(switches.map(([t]) => t)).map((t, i) => ({ at: d(t), enabled: switches[i]![1] })),
      ips: ips.map(([a, len], i) => ({
        id: `ip-${i}`,
        attachedAt: d(created + a),
        detachedAt: len === null ? null : d(created + a + len),
      })),
    };
  });

const arbNow = fc.option(arbOffset(2000).map(d), { nil: undefined });

/** The plan key of the API (id and every rate), as the oracle computes it. */
const keyOf = (p: PlanRates) =>
  `${p.id}|${p.tokensPerHour}|${p.tokensPerMonth}|${p.ipTokensPerHour}|${p.ipTokensPerMonth}|${p.backupPercent.normalize()}`;

interface OracleGroup {
  hours: bigint;
  backupHours: bigint;
  ipHours: Map<string, bigint>;
}

/** Hour by hour: each hour (server or IP) that starts in the period and before the end, priced at its start. */
function oracle(h: ServerHistory, period: { start: Date; end: Date }, now?: Date): Map<string, OracleGroup> {
  const ends = [period.end.getTime(), h.deletedAt?.getTime(), now?.getTime()].filter((x) => x !== undefined);
  const until = Math.min(...ends);
  const planAt = (t: number) => h.plans.filter((p) => p.from.getTime() <= t).at(-1)!.plan;
  const groups = new Map<string, OracleGroup>();
  const group = (t: number) => {
    const key = keyOf(planAt(t));
    if (!groups.has(key)) groups.set(key, { hours: 0n, backupHours: 0n, ipHours: new Map() });
    return groups.get(key)!;
  };
  const lattice = (origin: number, end: number, visit: (t: number) => void) => {
    for (let t = origin; t < end; t += HOUR) if (t >= period.start.getTime()) visit(t);
  };
  lattice(h.createdAt.getTime(), until, (t) => {
    const g = group(t);
    g.hours += 1n;
    if (h.backups.filter((b) => b.at.getTime() <= t).at(-1)?.enabled) g.backupHours += 1n;
  });
  for (const ip of h.ips) {
    lattice(ip.attachedAt.getTime(), Math.min(until, ip.detachedAt?.getTime() ?? until), (t) => {
      const g = group(t);
      g.ipHours.set(ip.id, (g.ipHours.get(ip.id) ?? 0n) + 1n);
    });
  }
  return groups;
}

/** The §2 table, written out again rather than calling chargeForPeriod. */
function table(tph: bigint, tpm: bigint, hours: bigint): bigint {
  if (hours === 0n) return 0n;
  if (tph === 0n) return tpm;
  return tpm > 0n && hours * tph > tpm ? tpm : hours * tph;
}

/** Half away from zero for a non-negative fraction, as floor((2n + d) / 2d): not the divRound under test. */
function backupOracle(t: bigint, p: Decimal, b: bigint, h: bigint): bigint {
  if (h === 0n) return 0n;
  const den = 100n * 10n ** BigInt(p.scale) * h;
  return (2n * t * p.coefficient * b + den) / (2n * den);
}

const sum = (gs: PlanGroupUsage[], f: (g: PlanGroupUsage) => bigint) => gs.reduce((s, g) => s + f(g), 0n);

describe("serverUsageInPeriod properties", () => {
  it("matches the hour-by-hour oracle: every group's hours, backup hours, IP-hours and tokens", () => {
    fc.assert(
      fc.property(arbHistory, arbNow, (h, now) => {
        const groups = serverUsageInPeriod(h, MONTH, now);
        const expected = [...oracle(h, MONTH, now)].filter(([, g]) => g.hours > 0n || g.ipHours.size > 0);
        expect(groups.map((g) => keyOf(g.plan)).sort()).toEqual(expected.map(([k]) => k).sort());
        for (const g of groups) {
          const o = expected.find(([k]) => k === keyOf(g.plan))![1];
          const { plan } = g;
          expect([g.hours, g.backups.hours]).toEqual([o.hours, o.backupHours]);
          expect(g.tokens).toBe(table(plan.tokensPerHour, plan.tokensPerMonth, g.hours));
          expect(g.backups.tokens).toBe(backupOracle(g.tokens, plan.backupPercent, o.backupHours, o.hours));
          expect(g.ips.perIp.map((ip) => [ip.id, ip.hours])).toEqual([...o.ipHours]);
          const ipTokens = [...o.ipHours.values()].map((n) =>
            table(plan.ipTokensPerHour, plan.ipTokensPerMonth, n),
          );
          expect(g.ips.perIp.map((ip) => ip.tokens)).toEqual(ipTokens);
          expect([g.ips.count, g.ips.hours, g.ips.tokens]).toEqual([
            BigInt(o.ipHours.size),
            [...o.ipHours.values()].reduce((a, b) => a + b, 0n),
            ipTokens.reduce((a, b) => a + b, 0n),
          ]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("charges no hour twice: adjacent periods partition the lifetime's hours and every IP's hours", () => {
    fc.assert(
      fc.property(arbHistory, arbNow, fc.uniqueArray(arbOffset(2500), { maxLength: 8 }), (h, now, cuts) => {
        // From before any creation to after every end, cut at arbitrary instants.
        const bounds = [-HOUR, ...sorted(cuts).filter((c) => c > -HOUR && c < 2600 * HOUR), 2600 * HOUR].map(
          d,
        );
        const ends = [h.deletedAt?.getTime(), now?.getTime(), bounds.at(-1)!.getTime()].filter(
          (x) => x !== undefined,
        );
        const end = new Date(Math.max(h.createdAt.getTime(), Math.min(...ends)));
        let hours = 0n;
        const ipHours = new Map<string, bigint>();
        for (let i = 0; i + 1 < bounds.length; i++) {
          const period = { start: bounds[i]!, end: bounds[i + 1]! };
          const groups = serverUsageInPeriod(h, period, now);
          const inPeriod = sum(groups, (g) => g.hours);
          const lifetime = {
            createdAt: h.createdAt,
            deletedAt: end,
            periodStart: period.start,
            periodEnd: period.end,
          };
          expect(inPeriod).toBe(billableHoursInPeriod(lifetime));
          hours += inPeriod;
          for (const ip of groups.flatMap((g) => g.ips.perIp))
            ipHours.set(ip.id, (ipHours.get(ip.id) ?? 0n) + ip.hours);
        }
        const ceilHours = (from: Date, to: number) =>
          BigInt(Math.max(0, Math.ceil((to - from.getTime()) / HOUR)));
        expect(hours).toBe(ceilHours(h.createdAt, end.getTime()));
        for (const ip of h.ips) {
          const ipEnd = Math.min(end.getTime(), ip.detachedAt?.getTime() ?? end.getTime());
          expect(ipHours.get(ip.id) ?? 0n).toBe(ceilHours(ip.attachedAt, ipEnd));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("never charges a split month more than its plans would: caps hold per group, and no-op splits change nothing", () => {
    // Checked: (1) each group's runtime tokens ≤ hours × tph when tph > 0, and ≤ tpm when both are > 0;
    // (2) its IP line ≤ IP-hours × ip tph when that is > 0, and ≤ count × ip tpm when that is > 0;
    // (3) backups ≤ round(tokens × p/100) ≤ tokens; (4) re-declaring the plan in force (the same id and
    // rates, a new object) at random instants returns exactly the unsplit result: an implementation that
    // grouped by interval or by object would apply a cap per interval and charge more.
    fc.assert(
      fc.property(arbHistory, arbNow, fc.array(arbOffset(1500), { maxLength: 4 }), (h, now, noops) => {
        const groups = serverUsageInPeriod(h, MONTH, now);
        for (const { plan: p, hours, tokens, ips, backups } of groups) {
          if (p.tokensPerHour > 0n) expect(tokens <= hours * p.tokensPerHour).toBe(true);
          if (p.tokensPerHour > 0n && p.tokensPerMonth > 0n) expect(tokens <= p.tokensPerMonth).toBe(true);
          if (p.ipTokensPerHour > 0n) expect(ips.tokens <= ips.hours * p.ipTokensPerHour).toBe(true);
          if (p.ipTokensPerMonth > 0n) expect(ips.tokens <= ips.count * p.ipTokensPerMonth).toBe(true);
          expect(backups.tokens <= backupOracle(tokens, p.backupPercent, 1n, 1n)).toBe(true);
        }
        const planAt = (t: number) => h.plans.filter((p) => p.from.getTime() <= t).at(-1)!.plan;
        const extra = noops
          .filter((t) => BASE + t >= h.createdAt.getTime())
          .map((t) => ({ from: d(t), plan: { ...planAt(BASE + t), name: "same" } }));
        const plans = [...h.plans, ...extra].sort((a, b) => a.from.getTime() - b.from.getTime());
        const split = serverUsageInPeriod({ ...h, plans }, MONTH, now);
        const strip = (gs: PlanGroupUsage[]) =>
          gs.map(({ plan, ...rest }) => ({ key: keyOf(plan), ...rest }));
        expect(strip(split)).toEqual(strip(groups));
      }),
      { numRuns: 200 },
    );
  });

  it("with no change (one plan, no backups, IPs for the server's life) equals §2's chargeServer / chargeAdditionalIps", () => {
    fc.assert(
      fc.property(arbHistory, fc.nat({ max: 3 }), (random, ipCount) => {
        const { createdAt, deletedAt, plans } = random;
        const plan = plans[0]!.plan;
        const ips = Array.from({ length: ipCount }, (_, i) => ({
          id: `ip-${i}`,
          attachedAt: createdAt,
          detachedAt: null,
        }));
        const [g, ...rest] = serverUsageInPeriod(
          { createdAt, deletedAt, plans: [plans[0]!], backups: [], ips },
          MONTH,
        );
        const period = { periodStart: MONTH.start, periodEnd: MONTH.end };
        const server = chargeServer({ ...plan, createdAt, deletedAt, ...period });
        expect(rest).toEqual([]);
        if (server.hours === 0n) {
          expect(g).toBeUndefined();
          return;
        }
        expect([g?.hours, g?.tokens, g?.charge]).toEqual([server.hours, server.tokens, server.kind]);
        const line = chargeAdditionalIps({ ...plan, hours: server.hours, count: BigInt(ipCount) });
        expect([g?.ips.count, g?.ips.hours, g?.ips.tokens]).toEqual([
          BigInt(ipCount),
          server.hours * BigInt(ipCount),
          line.tokens,
        ]);
        // With no IP there is no line to describe; its kind is then the zero-hour kind, not §2's.
        if (ipCount > 0) expect(g?.ips.charge).toBe(line.kind);
        expect(g?.backups).toEqual({ percent: plan.backupPercent, hours: 0n, tokens: 0n });
      }),
      { numRuns: 300 },
    );
  });
});
