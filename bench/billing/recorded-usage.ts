import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import { billableHoursInPeriod, chargeAdditionalIps, chargeForPeriod } from "../../src/domain/charges.ts";
import type { UsagePeriod } from "../../src/domain/usage-record.ts";
import type { UsageApi } from "../../src/billing/usage/solusio-usage-source.ts";
import type { JsonReader } from "../../src/solusio/follow-pages.ts";
import { listSolusioUsage } from "../../src/solusio/list-usage.ts";

// A synthetic month of SolusIO usage in the shape of solusio-api.md §9 (a): what the usage endpoint would
// answer for `customers` customers with 3 servers each, computed by billing-rules §2. It is recorded to a
// file first, one page of JSON text a line, and the run reads it back page by page: the run then pays what
// it pays against a real SolusIO (reading and parsing each answer's text), and not SolusIO's own work of
// computing the month, which was a fifth of the import's CPU when the pages were made during the run.

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
 * Writes the month's usage endpoint answers to `file`, one page (`perPage` items) a line, streamed: a
 * million customers' pages (about 1.6 GB) never sit in memory.
 */
export async function recordUsage(
  customers: number,
  period: UsagePeriod,
  file: string,
  perPage = 100,
): Promise<{ pages: number }> {
  const servers = customers * 3;
  const lastPage = Math.max(1, Math.ceil(servers / perPage));
  const out = createWriteStream(file);
  for (let page = 1; page <= lastPage; page++) {
    const data = [];
    for (let s = (page - 1) * perPage; s < Math.min(servers, page * perPage); s++) {
      const i = item(s, period);
      if (i) data.push(i);
    }
    // Offsets would shift if items were dropped from the list; "total" stays the server count (no paging races).
    const answer = { data, links: {}, meta: { current_page: page, last_page: lastPage, total: servers } };
    if (!out.write(`${JSON.stringify(answer)}\n`)) await once(out, "drain");
  }
  out.end();
  await finished(out);
  return { pages: lastPage };
}

/**
 * SolusIO's usage as recorded by `recordUsage`, read and validated by tokenbill's own reader
 * (src/solusio/list-usage.ts): each page is one line of the file, parsed as an HTTP answer's body would be.
 * The benchmark measures billing, not the loopback. Pages must be asked for in order, as followPages does.
 */
export function recordedUsage(file: string): UsageApi {
  const reader = recordedPages(file);
  return { listUsage: (period, path = "usage") => listSolusioUsage(reader, period, path) };
}

function recordedPages(file: string): JsonReader {
  let lines: AsyncGenerator<string> | undefined;
  let next = 1;
  return {
    getJson: async (_path, query) => {
      const page = Number(query["page"]);
      // A new listing starts again from the first line.
      if (page === 1 || lines === undefined) {
        await lines?.return(undefined);
        lines = linesOf(file);
        next = 1;
      }
      if (page !== next)
        throw new Error(`recorded usage is read in page order: asked for ${page}, next is ${next}`);
      const line = await lines.next();
      if (line.done) throw new Error(`recorded usage has no page ${page}`);
      next++;
      return JSON.parse(line.value) as unknown;
    },
  };
}

/**
 * The file's lines, read as they are asked for: `for await` over the stream pauses it between chunks, so
 * only a chunk and the line being cut from it are in memory (readline's iterator read ahead without bound,
 * which held the whole file).
 */
async function* linesOf(file: string): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of createReadStream(file, { encoding: "utf8" })) {
    const parts = (rest + (chunk as string)).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest !== "") yield rest;
}
