import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-database.ts";
import { withRollback } from "../../test/helpers/with-rollback.ts";
import { actors } from "../kernel/actor.ts";
import { failedJobPages, printFailedJobs } from "./job-actions.ts";
import { failingEventPages, printFailingEvents } from "./provider-event-actions.ts";
import type { OutputSink } from "./streamed-output.ts";

// `jobs failed` and `payments events` walk their verbs' lists by cursor (list-walk.ts) on either database: every
// row once, in the list's order, across pages whose last row ties the next on its instant, and --limit's cut.
// Walked 3 rows a call here, so that few rows cross several pages.

let handle: TestDatabase;
beforeAll(async () => {
  handle = await createTestDatabase();
  // 7 failed jobs in 3 instants (the failure's time ties; the id decides), and one job not failed.
  await handle.db
    .insertInto("job")
    .values([
      ...Array.from({ length: 7 }, (_, i) => ({
        kind: "walk.test",
        ordering_key: `walk:${i}`,
        payload: "{}",
        status: "failed" as const,
        attempts: 1,
        last_error: `failed ${i}`,
        updated_at: new Date(Date.UTC(2026, 10, 1, 0, Math.floor(i / 3))),
      })),
      { kind: "walk.test", payload: "{}", status: "done" as const },
    ])
    .execute();
  // 5 events stored failing, two received at the same instant, and one processed.
  await handle.db
    .insertInto("provider_event")
    .values([
      ...Array.from({ length: 5 }, (_, i) => ({
        provider: "stripe",
        event_id: `evt_walk_${i}`,
        type: "refund.created",
        payload: "{}",
        received_at: new Date(Date.UTC(2026, 10, 1, 0, i === 1 ? 0 : i)),
        error: `refused ${i}`,
      })),
      {
        provider: "stripe",
        event_id: "evt_walk_done",
        type: "refund.created",
        payload: "{}",
        processed_at: new Date(),
      },
    ])
    .execute();
}, 120_000);
afterAll(async () => {
  await handle?.close();
});

/** A sink that keeps what is written. */
function textSink(): OutputSink & { text: () => string } {
  const pieces: string[] = [];
  return {
    closed: false,
    write: async (text) => void pieces.push(text),
    text: () => pieces.join(""),
  };
}

describe("the failure lists' walk", () => {
  it("jobs failed: every failed job once, the latest failure first, and --limit's cut", async () => {
    const expected = await handle.db
      .selectFrom("job")
      .select("id")
      .where("status", "=", "failed")
      .orderBy("updated_at", "desc")
      .orderBy("id", "desc")
      .execute();
    const walk = (limit?: number, json = true) =>
      withRollback(
        handle.db,
        async (ctx) => {
          const sink = textSink();
          const walked = await printFailedJobs(failedJobPages(ctx), sink, { json, limit, pageSize: 3 });
          return { walked, text: sink.text() };
        },
        { actor: actors.cli() },
      );
    const all = await walk();
    expect(all.walked).toEqual({ count: 7, more: false });
    const document = JSON.parse(all.text);
    expect(document.data.map((j: { id: number }) => j.id)).toEqual(expected.map((r) => Number(r.id)));
    expect(document.meta).toEqual({ count: 7, more: false });
    const cut = await walk(4);
    expect(JSON.parse(cut.text).meta).toEqual({ count: 4, more: true });
    const table = (await walk(undefined, false)).text.trimEnd().split("\n");
    expect(table.filter((line) => / walk\.test /.test(line))).toHaveLength(7);
  });

  it("payments events: every failing event once, the oldest first, none processed", async () => {
    const events = await withRollback(
      handle.db,
      async (ctx) => {
        const sink = textSink();
        await printFailingEvents(failingEventPages(ctx), sink, { json: true, pageSize: 2 });
        return JSON.parse(sink.text()).data.map((e: { event_id: string }) => e.event_id);
      },
      { actor: actors.cli() },
    );
    expect(events).toEqual(["evt_walk_0", "evt_walk_1", "evt_walk_2", "evt_walk_3", "evt_walk_4"]);
  });
});
