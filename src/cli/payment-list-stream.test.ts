import { describe, expect, it } from "vitest";
import type { Payment } from "../billing/payments/payment-schemas.ts";
import { type PaymentPageSource, printPaymentList } from "./payment-list-command.ts";
import type { OutputSink } from "./streamed-output.ts";

// `payments list` prints each page as it reads it: it held every payment of the walk (and the table's every
// row) until the walk ended, so memory grew with the book. Seen as an order of events: what was written before
// each page was read.

const TOTAL = 20_000;

function payment(n: number): Payment {
  return {
    id: `pay_${n.toString(16).padStart(8, "0")}`,
    customer_id: 1 + (n % 7),
    invoice_id: null,
    currency: "USD",
    amount: BigInt(100 + n),
    method: "manual",
    reference: `R-${n}`,
    paid_at: "2026-11-01T00:00:00.000Z",
    created_at: "2026-11-01T00:00:00.000Z",
    allocations: [],
    credit: 0n,
    refunded: 0n,
    refunds: [],
  };
}

/** A book of `total` payments, newest (highest n) first, as the API pages it; each read is logged. */
function fakeBook(total: number, log: string[]): PaymentPageSource {
  return async (perPage, cursor) => {
    const start = cursor === undefined ? total : Number(cursor);
    log.push(`read ${start}`);
    const data = Array.from({ length: Math.min(perPage, start) }, (_, i) => payment(start - i));
    const next = start - data.length;
    return { data, next_cursor: next > 0 ? String(next) : null };
  };
}

/** A sink that keeps what is written and logs how many rows each write carried (counted by their ids). */
function recordingSink(log: string[]): OutputSink & { text: () => string } {
  const pieces: string[] = [];
  return {
    closed: false,
    async write(text) {
      pieces.push(text);
      log.push(`wrote ${text.match(/pay_[0-9a-f]{8}/g)?.length ?? 0}`);
    },
    text: () => pieces.join(""),
  };
}

const row = (p: Payment) => [p.id, String(p.customer_id), "", String(p.amount), p.reference, "", ""];

describe("payments list printed as it is walked", () => {
  it.each([true, false])("json %s: each page is written before the next is read", async (json) => {
    const log: string[] = [];
    const sink = recordingSink(log);
    const walked = await printPaymentList(fakeBook(TOTAL, log), sink, { json, row });
    expect(walked).toEqual({ count: TOTAL, more: false });
    // 40 pages of 500: each read but the first follows the previous page's write of its 500 rows.
    const reads = log.flatMap((e, i) => (e.startsWith("read") ? [i] : []));
    expect(reads).toHaveLength(TOTAL / 500);
    for (const i of reads.slice(1)) expect(log[i - 1]).toBe("wrote 500");
    expect(log.filter((e) => e === "wrote 500")).toHaveLength(TOTAL / 500);
    if (json) {
      const parsed = JSON.parse(sink.text()) as { data: { id: string }[]; meta: unknown };
      expect(parsed.meta).toEqual({ count: TOTAL, more: false });
      expect(parsed.data).toHaveLength(TOTAL);
      expect(parsed.data[0]!.id).toBe(payment(TOTAL).id);
      expect(parsed.data.at(-1)!.id).toBe(payment(1).id);
    } else {
      const lines = sink.text().trimEnd().split("\n");
      // The header once (every id as wide as the first page's), then a line a payment.
      expect(lines).toHaveLength(TOTAL + 2);
      expect(lines[0]).toMatch(/^Payment {7}Customer/);
    }
  });

  it("stops at --limit in the middle of a page, and says more match", async () => {
    const log: string[] = [];
    const sink = recordingSink(log);
    const walked = await printPaymentList(fakeBook(TOTAL, log), sink, { json: true, limit: 750, row });
    expect(walked).toEqual({ count: 750, more: true });
    const parsed = JSON.parse(sink.text()) as { data: unknown[]; meta: unknown };
    expect(parsed.data).toHaveLength(750);
    expect(parsed.meta).toEqual({ count: 750, more: true });
    // The second call asked for the 250 still wanted and one more, to tell whether more match.
    expect(log.filter((e) => e.startsWith("read"))).toEqual([`read ${TOTAL}`, `read ${TOTAL - 500}`]);
  });

  it("stops reading once the output's reader went away", async () => {
    const log: string[] = [];
    let writes = 0;
    const sink: OutputSink = {
      get closed() {
        return writes >= 2;
      },
      async write() {
        writes++;
      },
    };
    await printPaymentList(fakeBook(TOTAL, log), sink, { json: false, row });
    expect(log.filter((e) => e.startsWith("read"))).toHaveLength(2);
  });
});
