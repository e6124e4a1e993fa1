import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSocket } from "../../../test/helpers/raw-http.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { UsageRecord } from "../../domain/usage-record.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { billingContext, createCustomers, usageOf } from "../testing/billing-fixtures.ts";
import type { BillingProgress } from "./execute-billing-run.ts";
import { runBilling } from "./run-billing.ts";

// PGlite runs in serve's own thread and answers without I/O, so a run's statements followed one another
// without Node ever reading a socket: a request sent during drafting was read, and answered, only once the
// run had finished ("done"). Here the admin API is asked for the run right after each batch commits (the
// bytes are on the server's socket before the run goes on), and each answer must come back before the next
// batch commits, showing the batch just committed: the request had the session between the two batches.
// On PostgreSQL a request has a connection of its own and is read whenever the run waits for its database,
// so there is no order to assert.

const onPostgres = Boolean(process.env["DATABASE_URL"]);
const CUSTOMERS = 6;
const BATCH = 2;

let handle: DatabaseHandle;
let server: TestServer;
let usage: UsageRecord[];
beforeAll(async () => {
  if (onPostgres) return;
  handle = await createTestDatabase();
  const ids = await createCustomers(
    handle,
    Array.from({ length: CUSTOMERS }, (_, i) => ({ email: `between${i}@example.com` })),
  );
  usage = ids.map((id) =>
    usageOf({ billingUserId: id, tph: 7, tpm: 5000, createdAt: "2026-10-01T00:00:00Z", deletedAt: null }),
  );
  server = await startTestServer(handle.db);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** An HTTP/1.1 connection kept open: a request is written at once, each answer's JSON handed to `onAnswer`. */
async function keptConnection(url: string, onAnswer: (body: any) => void) {
  const socket: Socket = await openSocket(url);
  let buffered = "";
  socket.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    for (;;) {
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      onAnswer(JSON.parse(buffered.slice(end + 4, end + 4 + length)));
      buffered = buffered.slice(end + 4 + length);
    }
  });
  return {
    get: (path: string) =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${TEST_ADMIN_KEY}\r\n\r\n`,
      ),
    close: () => socket.destroy(),
  };
}

describe.skipIf(onPostgres)("a billing run on the embedded database", () => {
  it("lets a request sent during a batch be answered before the next batch, with the run's progress", async () => {
    const events: string[] = [];
    const said = (p: { phase: string; processed: number; total: number }) =>
      `${p.phase} ${p.processed}/${p.total}`;
    const connection = await keptConnection(server.url, (body) => {
      const run = body.data;
      events.push(
        run ? `answer: ${run.state} ${said({ phase: run.phase, ...run.progress })}` : "answer: error",
      );
    });
    let runId = "";
    // The connection is read by the server before the run starts: the run's requests are not its first.
    const warmed = new Promise<void>((resolve) => {
      const before = events.length;
      connection.get("/api/v1/billing-runs/run_00");
      const check = setInterval(() => {
        if (events.length > before) {
          clearInterval(check);
          events.length = 0;
          resolve();
        }
      }, 5);
    });
    await warmed;
    try {
      const ctx = billingContext(handle, { BILLING_BATCH_SIZE: BATCH });
      const summary = await runBilling({
        ctx,
        input: { period: "2026-10" },
        options: {
          source: new MemoryUsageSource(usage),
          onStart: (run) => {
            runId = run.id;
          },
          onProgress: (p: BillingProgress) => {
            events.push(`batch: ${said(p)}`);
            // A batch has just committed; the run goes on at once, without waiting for the answer.
            const committed = (p.phase === "drafting" || p.phase === "finalizing") && p.processed > 0;
            if (committed) connection.get(`/api/v1/billing-runs/${runId}`);
          },
        },
      });
      expect(summary.invoices.finalized).toBe(CUSTOMERS);
      // The last answer may come after the run ends; everything before it is in the run's order.
      await expect.poll(() => events.filter((e) => e.startsWith("answer")).length).toBeGreaterThanOrEqual(6);
    } finally {
      connection.close();
    }
    expect(events.filter((e) => !e.startsWith("batch: importing"))).toEqual([
      "batch: drafting 0/6",
      "batch: drafting 2/6",
      "answer: running drafting 2/6",
      "batch: drafting 4/6",
      "answer: running drafting 4/6",
      "batch: drafting 6/6",
      // Asked after the last batch: answered before the read that finds no more customers.
      "answer: running drafting 6/6",
      "batch: finalizing 0/6",
      "batch: finalizing 2/6",
      "answer: running finalizing 2/6",
      "batch: finalizing 4/6",
      "answer: running finalizing 4/6",
      "batch: finalizing 6/6",
      "answer: running finalizing 6/6",
      // The empty batch that ends finalizing tells nothing (until 2026-12-06 it told 6/6 again).
      "batch: done 6/6",
    ]);
  });
});
