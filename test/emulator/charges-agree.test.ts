import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backupTokens as emulatorBackupTokens } from "../../emulator/billing/backup-charge.ts";
import { additionalIpsCharge, hoursInPeriod, periodCharge } from "../../emulator/billing/charges.ts";
import { planGroups } from "../../emulator/billing/usage-groups.ts";
import { billableHoursInPeriod, chargeForPeriod } from "../../src/domain/charges.ts";
import { Decimal } from "../../src/domain/decimal.ts";
import { type PlanRates, serverUsageInPeriod } from "../../src/domain/server-usage.ts";

// Two implementations of billing-rules §2: tokenbill's (src/domain/charges.ts, billed) and the emulator's
// (emulator/billing/charges.ts, reported as SolusIO's usage). Written apart so that tests comparing invoices
// with the emulator's figures compare two readings of the rule; here they must agree on every input.

const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 9, 1);
/** An offset in ms, half the time on a whole hour: the edges where an hour begins are where counts differ. */
const offset = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ min: min * HOUR, max: max * HOUR }),
    fc.integer({ min, max }).map((h) => h * HOUR),
  );

describe("tokenbill's and the emulator's §2 agree", () => {
  it("on the hours of any lifetime in any period", () => {
    fc.assert(
      fc.property(
        offset(-60 * 24, 60 * 24),
        offset(0, 60 * 24),
        offset(-40 * 24, 40 * 24),
        offset(1, 40 * 24),
        (createdOffset, lifetime, startOffset, length) => {
          const created = new Date(BASE + createdOffset);
          const ended = new Date(BASE + createdOffset + lifetime);
          const period = { start: new Date(BASE + startOffset), end: new Date(BASE + startOffset + length) };
          const tokenbill = billableHoursInPeriod({
            createdAt: created,
            deletedAt: ended,
            periodStart: period.start,
            periodEnd: period.end,
          });
          return hoursInPeriod({ created, ended }, period) === tokenbill;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("on the tokens and kind of any prices and hours", () => {
    const tokens = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 100_000n }));
    fc.assert(
      fc.property(tokens, tokens, fc.bigInt({ min: 0n, max: 800n }), (perHour, monthly, hours) => {
        // Also the monthly price the hours cost exactly: where "the cap wins" needs a reading.
        return [monthly, perHour * hours].every((perMonth) => {
          const tokenbill = chargeForPeriod({ tokensPerHour: perHour, tokensPerMonth: perMonth, hours });
          const emulator = periodCharge({ perHour, perMonth }, hours);
          return emulator.tokens === tokenbill.tokens && emulator.charge === tokenbill.kind;
        });
      }),
      { numRuns: 2000 },
    );
  });
});

// billing-rules §2.2 twice: tokenbill's serverUsageInPeriod (src/domain/server-usage.ts) and the emulator's
// plan groups priced by its own §2 and backup rule (emulator/billing/*, as emulator/ops/usage.ts does). Each plan
// id has one set of prices here: re-pricing a plan mid-period is where the two differ on purpose (tokenbill bills
// each price its own group; the usage endpoint reports the plan's current prices [OURS], docs/emulator.md).
describe("tokenbill's and the emulator's §2.2 agree", () => {
  const percents = ["0", "10", "12.5", "33.3", "100"] as const;
  const prices = fc.record({
    tph: fc.bigInt({ min: 0n, max: 30n }),
    tpm: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 12_000n })),
    ipTph: fc.bigInt({ min: 0n, max: 3n }),
    ipTpm: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 800n })),
    backup: fc.constantFrom(...percents),
  });
  /**
   * Per-IP figures in id order: the emulator lists a group's IPs in the order they first had an hour in it,
   * tokenbill in the order the history names them; the figures, not the order, must agree.
   */
  const byId = (ips: (readonly [number, bigint, bigint])[]) => [...ips].sort((a, b) => a[0] - b[0]);
  /** Instants inside the server's life, as offsets in ms from its creation: whole hours half the time. */
  const within = (max: number) =>
    fc.array(offset(0, max), { maxLength: 4 }).map((xs) => xs.sort((a, b) => a - b));

  it("on every plan group's hours, tokens, kinds, IPs and backups, for any history in any period", () => {
    fc.assert(
      fc.property(
        fc.array(prices, { minLength: 3, maxLength: 3 }),
        offset(-40 * 24, 40 * 24),
        offset(1, 45 * 24),
        within(45 * 24),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 5, maxLength: 5 }),
        within(45 * 24),
        fc.array(fc.tuple(offset(0, 45 * 24), fc.option(offset(0, 45 * 24), { nil: undefined })), {
          maxLength: 3,
        }),
        offset(-20 * 24, 20 * 24),
        offset(1, 35 * 24),
        (
          catalog,
          createdOffset,
          lifetime,
          planChanges,
          planPicks,
          backupSwitches,
          ipSpans,
          startOffset,
          length,
        ) => {
          const created = BASE + createdOffset;
          const ended = created + lifetime;
          const clamp = (t: number) => Math.min(created + t, ended);
          const rates = (key: number): PlanRates => {
            const p = catalog[key]!;
            return {
              id: key + 1,
              name: `plan ${key + 1}`,
              tokensPerHour: p.tph,
              tokensPerMonth: p.tpm,
              ipTokensPerHour: p.ipTph,
              ipTokensPerMonth: p.ipTpm,
              backupPercent: Decimal.parse(p.backup),
            };
          };
          const plans = [created, ...planChanges.map(clamp)].map((from, i) => ({ from, key: planPicks[i]! }));
          const backups = backupSwitches.map((t, i) => ({ at: clamp(t), enabled: i % 2 === 0 }));
          const ips = ipSpans.map(([a, d], i) => {
            const attached = clamp(a);
            return { id: i + 1, attached, detached: d === undefined ? null : Math.max(attached, clamp(d)) };
          });
          const period = { start: new Date(BASE + startOffset), end: new Date(BASE + startOffset + length) };

          const tokenbill = serverUsageInPeriod(
            {
              createdAt: new Date(created),
              deletedAt: new Date(ended),
              plans: plans.map((p) => ({ from: new Date(p.from), plan: rates(p.key) })),
              backups: backups.map((b) => ({ at: new Date(b.at), enabled: b.enabled })),
              ips: ips.map((ip) => ({
                id: String(ip.id),
                attachedAt: new Date(ip.attached),
                detachedAt: ip.detached === null ? null : new Date(ip.detached),
              })),
            },
            period,
          ).map((g) => ({
            plan: g.plan.id,
            hours: g.hours,
            tokens: g.tokens,
            charge: g.charge,
            ips: [g.ips.count, g.ips.hours, g.ips.tokens, g.ips.count > 0n ? g.ips.charge : "-"],
            ipHours: byId(g.ips.perIp.map((ip) => [Number(ip.id), ip.hours, ip.tokens] as const)),
            backups: [g.backups.hours, g.backups.tokens],
          }));

          const big = BigInt;
          const emulator = planGroups(
            {
              created: big(created),
              ended: big(ended),
              plans: plans.map((p, i) => ({
                key: p.key,
                from: big(p.from),
                to: big(plans[i + 1]?.from ?? ended),
              })),
              backupsOn: backups.flatMap((b, i) =>
                b.enabled ? [{ from: big(b.at), to: big(backups[i + 1]?.at ?? ended) }] : [],
              ),
              ips: ips.map((ip) => ({ id: ip.id, from: big(ip.attached), to: big(ip.detached ?? ended) })),
            },
            { from: big(period.start.getTime()), to: big(period.end.getTime()) },
          ).map((g) => {
            const p = catalog[g.key]!;
            const runtime = periodCharge({ perHour: p.tph, perMonth: p.tpm }, g.hours);
            const ipCharge = additionalIpsCharge(
              { perHour: p.ipTph, perMonth: p.ipTpm },
              g.ipHours.map((ip) => ip.hours),
              g.hours,
            );
            const ipHours = g.ipHours.reduce((sum, ip) => sum + ip.hours, 0n);
            const count = big(g.ipHours.length);
            return {
              plan: g.key + 1,
              hours: g.hours,
              tokens: runtime.tokens,
              charge: runtime.charge,
              ips: [count, ipHours, ipCharge.tokens, count > 0n ? ipCharge.charge : "-"],
              ipHours: byId(g.ipHours.map((ip, i) => [ip.id, ip.hours, ipCharge.each[i]!.tokens] as const)),
              backups: [
                g.backupHours,
                emulatorBackupTokens(runtime.tokens, Number(p.backup), g.backupHours, g.hours),
              ],
            };
          });
          expect(emulator).toEqual(tokenbill);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
