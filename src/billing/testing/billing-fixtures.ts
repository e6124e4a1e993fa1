import { pino } from "pino";
import { type ConfigInput, parseConfig } from "../../config.ts";
import { chargeAdditionalIps, chargeServer } from "../../domain/charges.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import type { UsagePeriod, UsageRecord } from "../../domain/usage-record.ts";
import { actors } from "../../kernel/actor.ts";

// Shared by the billing tests: a context with a fixed clock, customers as billing-rules §4 has them, and
// usage records computed by §2 the way SolusIO reports them.

export const OCTOBER: UsagePeriod = {
  start: new Date("2026-10-01T00:00:00Z"),
  end: new Date("2026-11-01T00:00:00Z"),
};
/** One hour after October ends: the earliest moment the default schedule bills it. */
export const AFTER_OCTOBER = new Date("2026-11-01T01:00:00Z");

export function billingContext(
  handle: DatabaseHandle,
  overrides: Partial<ConfigInput> = {},
  now: Date = AFTER_OCTOBER,
): ServiceContext {
  return {
    db: handle.db,
    config: parseConfig({ LOG_LEVEL: "silent", ...overrides }),
    logger: pino({ level: "silent" }),
    actor: actors.system("test"),
    now: () => now,
  };
}

export interface CustomerSpec {
  email: string;
  currency?: string;
  /** Named multipliers, the customer's own, in order. */
  discounts?: { name: string; multiplier: string }[];
  taxRuleId?: bigint | null;
  taxExempt?: boolean;
}

/** A tax rule and its rates; with a country, the rule customers of that country are taxed by. */
export async function createTaxRule(
  handle: DatabaseHandle,
  rule: { name: string; compound: boolean; country?: string; rates: { label: string; rate: string }[] },
): Promise<bigint> {
  const row = await handle.db
    .insertInto("tax_rule")
    .values({
      name: rule.name,
      compound: rule.compound,
      country: rule.country ?? null,
      region: null,
      is_default: false,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (rule.rates.length > 0) {
    await handle.db
      .insertInto("tax_rate")
      .values(
        rule.rates.map((r, position) => ({ tax_rule_id: row.id, position, label: r.label, rate: r.rate })),
      )
      .execute();
  }
  return row.id;
}

export async function createCustomers(handle: DatabaseHandle, specs: CustomerSpec[]): Promise<bigint[]> {
  if (specs.length === 0) return [];
  const rows = await handle.db
    .insertInto("customer")
    .values(
      specs.map((s) => ({
        email: s.email,
        name: s.email.split("@")[0]!,
        country: "US",
        region: null,
        currency_code: s.currency ?? "USD",
        tax_exempt: s.taxExempt ?? false,
        status: "active" as const,
        client_group_id: null,
        tax_rule_id: s.taxRuleId ?? null,
      })),
    )
    .returning("id")
    .execute();
  const discounts = specs.flatMap((s, i) =>
    (s.discounts ?? []).map((d, position) => ({
      name: d.name,
      description: "",
      multiplier: d.multiplier,
      client_group_id: null,
      customer_id: rows[i]!.id,
      position,
    })),
  );
  if (discounts.length > 0) await handle.db.insertInto("discount").values(discounts).execute();
  return rows.map((r) => r.id);
}

/** The §4 worked example's customer: USD, discount 0.95, compound City Tax 6 % then State Tax 2 %. */
export async function createSection4Customer(
  handle: DatabaseHandle,
  email = "section4@example.com",
): Promise<bigint> {
  const taxRuleId = await createTaxRule(handle, {
    name: `City and State ${email}`,
    compound: true,
    rates: [
      { label: "City Tax", rate: "6" },
      { label: "State Tax", rate: "2" },
    ],
  });
  const [id] = await createCustomers(handle, [
    { email, discounts: [{ name: "Special Client Group Discount", multiplier: "0.95" }], taxRuleId },
  ]);
  return id!;
}

let nextServerId = 1000;

/** A server's usage in a period as SolusIO reports it: hours and tokens by billing-rules §2. */
/** July 2026: the month the void-and-reissue tests bill. */
export const JULY_2026: UsagePeriod = {
  start: new Date("2026-07-01T00:00:00Z"),
  end: new Date("2026-08-01T00:00:00Z"),
};

/** Three customers with a server each for the whole of July on 7/5000 ($5.00 each at B 0.001). */
export async function julyOfThreeCustomers(
  handle: DatabaseHandle,
  emails: [string, string, string],
): Promise<{ ids: bigint[]; usage: UsageRecord[] }> {
  const ids = await createCustomers(
    handle,
    emails.map((email) => ({ email })),
  );
  const usage = ids.map((id) =>
    usageOf({
      billingUserId: id,
      tph: 7,
      tpm: 5000,
      createdAt: "2026-07-01T00:00:00Z",
      deletedAt: null,
      period: JULY_2026,
    }),
  );
  return { ids, usage };
}

export function usageOf(input: {
  billingUserId: bigint | null;
  tph: number;
  tpm: number;
  createdAt: string;
  deletedAt: string | null;
  period?: UsagePeriod;
  serverId?: number;
  ips?: { count: number; tph: number; tpm: number };
  /** Replace SolusIO's token figure (to make it disagree with §2). */
  reportedTokens?: bigint;
}): UsageRecord {
  const period = input.period ?? OCTOBER;
  const createdAt = new Date(input.createdAt);
  const deletedAt = input.deletedAt === null ? null : new Date(input.deletedAt);
  const server = chargeServer({
    tokensPerHour: BigInt(input.tph),
    tokensPerMonth: BigInt(input.tpm),
    createdAt,
    deletedAt,
    periodStart: period.start,
    periodEnd: period.end,
  });
  const ips = input.ips ?? { count: 0, tph: 0, tpm: 0 };
  const ipCharge = chargeAdditionalIps({
    ipTokensPerHour: BigInt(ips.tph),
    ipTokensPerMonth: BigInt(ips.tpm),
    hours: server.hours,
    count: BigInt(ips.count),
  });
  const id = input.serverId ?? nextServerId++;
  return {
    billingUserId: input.billingUserId,
    solusioUserId: input.billingUserId === null ? 7 : Number(input.billingUserId) + 100,
    server: { id, uuid: `uuid-${id}`, name: `server-${id}` },
    plan: {
      id: 1,
      name: `${input.tph}/${input.tpm}`,
      tokensPerHour: BigInt(input.tph),
      tokensPerMonth: BigInt(input.tpm),
      ipTokensPerHour: BigInt(ips.tph),
      ipTokensPerMonth: BigInt(ips.tpm),
      backupPercent: "0",
    },
    createdAt,
    deletedAt,
    hours: server.hours,
    tokens: input.reportedTokens ?? server.tokens,
    charge: server.kind,
    additionalIps: {
      count: BigInt(ips.count),
      // IP-hours: every IP lived as long as its server here.
      hours: server.hours * BigInt(ips.count),
      tokens: ipCharge.tokens,
      charge: ipCharge.kind,
    },
    backups: null,
    reportedBySolusio: true,
  };
}

/** The three servers of the §4 example for one customer: 700 h and 730 h on 7/5000, 5 minutes on 28/20000. */
export function section4Usage(billingUserId: bigint, firstServerId: number): UsageRecord[] {
  return [
    usageOf({
      billingUserId,
      tph: 7,
      tpm: 5000,
      createdAt: "2026-10-01T00:00:00Z",
      deletedAt: "2026-10-30T04:00:00Z",
      serverId: firstServerId,
    }),
    usageOf({
      billingUserId,
      tph: 7,
      tpm: 5000,
      createdAt: "2026-10-01T00:00:00Z",
      deletedAt: "2026-10-31T10:00:00Z",
      serverId: firstServerId + 1,
    }),
    usageOf({
      billingUserId,
      tph: 28,
      tpm: 20000,
      createdAt: "2026-10-15T12:00:00Z",
      deletedAt: "2026-10-15T12:05:00Z",
      serverId: firstServerId + 2,
    }),
  ];
}
