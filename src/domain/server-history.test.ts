import { describe, expect, it } from "vitest";
import { ServiceError } from "../kernel/errors.ts";
import { Decimal } from "./decimal.ts";
import { checkHistory } from "./server-history.ts";
import type { PlanRates, ServerHistory } from "./server-usage.ts";

const HOUR = 3_600_000;
const T = Date.UTC(2026, 9, 5);
const at = (hours: number) => new Date(T + hours * HOUR);
const PLAN: PlanRates = {
  id: 1,
  name: "1 Core",
  tokensPerHour: 7n,
  tokensPerMonth: 5000n,
  ipTokensPerHour: 1n,
  ipTokensPerMonth: 500n,
  backupPercent: Decimal.parse("10"),
};
const history = (more: Partial<ServerHistory> = {}): ServerHistory => ({
  createdAt: at(0),
  deletedAt: null,
  plans: [{ from: at(0), plan: PLAN }],
  backups: [],
  ips: [],
  ...more,
});

describe("checkHistory", () => {
  it("ends the lifetime at the earlier of deletedAt and now", () => {
    expect(checkHistory(history(), undefined).end).toBeNull();
    expect(checkHistory(history(), at(5)).end).toBe(BigInt(T + 5 * HOUR));
    expect(checkHistory(history({ deletedAt: at(3) }), at(5)).end).toBe(BigInt(T + 3 * HOUR));
    expect(checkHistory(history({ deletedAt: at(3) }), at(2)).end).toBe(BigInt(T + 2 * HOUR));
  });

  it("accepts changes at one instant, a plan from before creation, percents 0 and 100, a re-attached IP", () => {
    const ips = [
      { id: "a", attachedAt: at(1), detachedAt: at(2) },
      { id: "a", attachedAt: at(2), detachedAt: null },
    ];
    const plans = [
      { from: at(-1), plan: { ...PLAN, backupPercent: Decimal.ZERO } },
      { from: at(-1), plan: { ...PLAN, backupPercent: Decimal.parse("100.00") } },
    ];
    expect(() => checkHistory(history({ plans, ips }), undefined)).not.toThrow();
  });

  const bad: [string, Partial<ServerHistory>][] = [
    ["createdAt", { createdAt: new Date("not a date") }],
    ["deletedAt", { deletedAt: at(-0.001) }],
    ["plans", { plans: [] }],
    ["plans[0].from", { plans: [{ from: at(0.5), plan: PLAN }] }],
    [
      "plans[1].from",
      {
        plans: [
          { from: at(0), plan: PLAN },
          { from: at(-1), plan: PLAN },
        ],
      },
    ],
    ["plans[0].plan.tokensPerHour", { plans: [{ from: at(0), plan: { ...PLAN, tokensPerHour: -1n } }] }],
    [
      "plans[0].plan.ipTokensPerMonth",
      { plans: [{ from: at(0), plan: { ...PLAN, ipTokensPerMonth: -5n } }] },
    ],
    [
      "plans[0].plan.tokensPerMonth",
      { plans: [{ from: at(0), plan: { ...PLAN, tokensPerMonth: 5 as never } }] },
    ],
    [
      "plans[0].plan.backupPercent",
      { plans: [{ from: at(0), plan: { ...PLAN, backupPercent: Decimal.parse("100.01") } }] },
    ],
    [
      "plans[0].plan.backupPercent",
      { plans: [{ from: at(0), plan: { ...PLAN, backupPercent: Decimal.parse("-1") } }] },
    ],
    [
      "backups[1].at",
      {
        backups: [
          { at: at(2), enabled: true },
          { at: at(1), enabled: false },
        ],
      },
    ],
    ["ips[0].attachedAt", { ips: [{ id: "a", attachedAt: at(-1), detachedAt: null }] }],
    ["ips[0].detachedAt", { ips: [{ id: "a", attachedAt: at(2), detachedAt: at(1) }] }],
    ["ips[0].id", { ips: [{ id: "", attachedAt: at(2), detachedAt: null }] }],
    [
      "ips[1].attachedAt",
      {
        ips: [
          { id: "a", attachedAt: at(0), detachedAt: at(5) },
          { id: "a", attachedAt: at(4), detachedAt: null },
        ],
      },
    ],
  ];

  it.each(bad)("rejects a bad %s with a validation error naming it", (field, change) => {
    try {
      checkHistory(history(change), undefined);
    } catch (e) {
      expect(e).toBeInstanceOf(ServiceError);
      expect((e as ServiceError).code).toBe("VALIDATION");
      expect((e as ServiceError).issues[0]?.field).toBe(field);
      return;
    }
    throw new Error(`expected ${field} to be rejected`);
  });
});
