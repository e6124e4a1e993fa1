import { billableHoursInPeriod, chargeAdditionalIps, chargeForPeriod } from "../../src/domain/charges.ts";
import type { UsageApi } from "../../src/billing/usage/solusio-usage-source.ts";
import type { JsonReader } from "../../src/solusio/follow-pages.ts";
import { listSolusioUsage } from "../../src/solusio/list-usage.ts";

// A synthetic month of SolusIO usage in the shape of solusio-api.md §9 (a), served page by page from memory:
// what the usage endpoint would answer for `customers` customers with 3 servers each, computed by
// billing-rules §2. Each page goes through JSON text and back, as it would over the wire.

const PLANS = [
  {
    id: 1,
    name: "1 Core, 1 GB RAM",
    tokens_per_hour: 7,
    tokens_per_month: 5000,
    ip_tokens_per_hour: 1,
    ip_tokens_per_month: 500,
  },
  {
    id: 2,
    name: "1 Core, 2 GB RAM",
    tokens_per_hour: 14,
    tokens_per_month: 10000,
    ip_tokens_per_hour: 1,
    ip_tokens_per_month: 500,
  },
  {
    id: 4,
    name: "2 Cores, 4 GB RAM",
    tokens_per_hour: 28,
    tokens_per_month: 0,
    ip_tokens_per_hour: 0,
    ip_tokens_per_month: 0,
  },
];
const HOUR = 3_600_000;

const stamp = (ms: number) => `${new Date(ms).toISOString().slice(0, 23)}000Z`;

function item(server: number, period: { start: Date; end: Date }) {
  const customer = Math.floor(server / 3) + 1;
  const k = server % 3;
  const plan = PLANS[k]!;
  const start = period.start.getTime();
  // Spread lifetimes over the month: some run all month, some start late, some are deleted early.
  // Created before the period's end: a page whose servers all had no hour would be empty, and an empty page
  // ends the list (follow-pages.ts), which cut a million customers short.
  const createdAt = start - HOUR * 24 + ((server * 7919) % (HOUR * 24 * 31));
  const deletedAt = server % 4 === 0 ? createdAt + HOUR * (1 + (server % 500)) + 300_000 : null;
  const createdDate = new Date(createdAt);
  const deletedDate = deletedAt === null ? null : new Date(deletedAt);
  const hours = billableHoursInPeriod({
    createdAt: createdDate,
    deletedAt: deletedDate,
    periodStart: period.start,
    periodEnd: period.end,
  });
  if (hours === 0n) return null;
  const charge = chargeForPeriod({
    tokensPerHour: BigInt(plan.tokens_per_hour),
    tokensPerMonth: BigInt(plan.tokens_per_month),
    hours,
  });
  const count = k === 0 ? BigInt(Math.floor(server / 3) % 3) : 0n;
  const ips = chargeAdditionalIps({
    ipTokensPerHour: BigInt(plan.ip_tokens_per_hour),
    ipTokensPerMonth: BigInt(plan.ip_tokens_per_month),
    hours,
    count,
  });
  return {
    server: {
      id: server + 1,
      uuid: `00000000-0000-4000-8000-${String(server + 1).padStart(12, "0")}`,
      name: `vps-${server + 1}`,
    },
    user: { id: customer + 10, billing_user_id: customer },
    plan,
    period_start: `${period.start.toISOString().slice(0, 19)}Z`,
    period_end: `${period.end.toISOString().slice(0, 19)}Z`,
    created_at: stamp(createdAt),
    deleted_at: deletedAt === null ? null : stamp(deletedAt),
    hours: Number(hours),
    tokens: Number(charge.tokens),
    charge: charge.kind,
    additional_ips: {
      count: Number(count),
      // IP-hours: every IP of the server ran all its hours (§2.2 caps each IP on its own).
      hours: Number(hours * count),
      tokens: Number(ips.tokens),
      charge: ips.kind,
    },
  };
}

/**
 * SolusIO's usage, read and validated by tokenbill's own reader (src/solusio/list-usage.ts) from pages
 * answered in memory instead of over HTTP: the benchmark measures billing, not the loopback.
 */
export function syntheticUsage(customers: number, perPage = 100): UsageApi {
  const reader = syntheticUsagePages(customers, perPage);
  return { listUsage: (period, path = "usage") => listSolusioUsage(reader, period, path) };
}

/** The usage endpoint's answers for a synthetic month; `perPage` items a page. */
function syntheticUsagePages(customers: number, perPage: number): JsonReader {
  const servers = customers * 3;
  const lastPage = Math.max(1, Math.ceil(servers / perPage));
  return {
    getJson: async (_path, query) => {
      const page = Number(query["page"]);
      const period = {
        start: new Date(String(query["period_start"])),
        end: new Date(String(query["period_end"])),
      };
      const data = [];
      for (let s = (page - 1) * perPage; s < Math.min(servers, page * perPage); s++) {
        const i = item(s, period);
        if (i) data.push(i);
      }
      // Offsets would shift if items were dropped from the list; "total" stays the server count (no paging races).
      return JSON.parse(
        JSON.stringify({
          data,
          links: {},
          meta: { current_page: page, last_page: lastPage, total: servers },
        }),
      );
    },
  };
}
