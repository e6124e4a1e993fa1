import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnswerHoldingRelay, startAnswerHoldingRelay } from "../../test/helpers/answer-holding-relay.ts";
import { type SolusioHarness, startSolusioHarness } from "../../test/helpers/solusio-harness.ts";
import { billingContext } from "../billing/testing/billing-fixtures.ts";
import { RetryLaterError } from "../jobs/job-runner.ts";
import { connectSolusio, type SolusioConnection } from "../solusio/connect-solusio.ts";
import { integrate } from "../solusio/integration.ts";
import { ensureBound } from "../solusio/solusio-binding.ts";
import { reconcileHandler } from "./scheduled-tasks.ts";
import { startSchedules } from "./schedules.ts";
import { JOB_STOP_GRACE_MS } from "./server.ts";

// serve's server polls and reconciliation wait on SolusIO like any caller. Until 2026-12-05 they did not take
// the schedules' stop signal: a stop while SolusIO did not answer held their job until the give-back at 8 s
// (logged as a job given back), and the call ended only when the connection closed. Here SolusIO (the
// emulator, behind a relay) carries out the call and its answer never comes.

let h: SolusioHarness;
let relay: AnswerHoldingRelay;
let connection: SolusioConnection;

beforeAll(async () => {
  h = await startSolusioHarness();
  relay = await startAnswerHoldingRelay(h.emulator.apiUrl);
  connection = connectSolusio(h.db, pino({ level: "silent" }), {
    apiUrl: relay.apiUrl,
    token: h.emulator.adminToken,
    tlsInsecure: false,
    timeoutMs: 60_000,
  });
  // The binding is checked once a connection: answered before any answer is held.
  await ensureBound(h.db, connection);
});
afterAll(async () => {
  await connection?.close();
  await relay?.close();
  await h?.close();
});

interface Line {
  level: number;
  msg: string;
}

function recordingLogger(lines: Line[]) {
  return pino({ level: "debug" }, { write: (text: string) => void lines.push(JSON.parse(text) as Line) });
}

/** serve's stop grace (server.ts), ended early once the stop no longer needs it. */
function grace(): { over: Promise<void>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const over = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, JOB_STOP_GRACE_MS);
  });
  return { over, clear: () => clearTimeout(timer) };
}

describe("serve stopping while a server poll waits on SolusIO's answer", () => {
  it("ends the poll at the stop, its job deferred for at once, with no error and nothing given back", async () => {
    const lines: Line[] = [];
    const logger = recordingLogger(lines);
    const ctx = billingContext(h.handle, { USAGE_SOURCE: "snapshots" }, new Date("2026-11-15T12:00:00Z"));
    const held = relay.holdAnswerOf("GET", "/servers");
    const schedules = startSchedules({ ...ctx, logger, solusio: integrate(connection, ctx.config) }, [
      "server poll",
    ]);
    expect(await held).toEqual({ status: 200 });

    const stop = grace();
    await schedules.stop({ giveBackAfter: stop.over });
    stop.clear();

    expect(
      await h.db
        .selectFrom("job")
        .select(["kind", "status", "attempts", "last_error"])
        .where("kind", "=", "solusio.poll_servers")
        .execute(),
    ).toEqual([
      {
        kind: "solusio.poll_servers",
        status: "pending",
        attempts: 0,
        last_error: "interrupted: the process was stopping; the next attempt starts again",
      },
    ]);
    expect(await h.db.selectFrom("server_poll").select("id").execute()).toEqual([]);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.filter((l) => l.msg.startsWith("job given back"))).toEqual([]);
    expect(lines.filter((l) => l.msg === "job deferred")).toEqual([expect.objectContaining({ level: 30 })]);
  });
});

describe("a reconciliation waiting on SolusIO's list of users when the schedules stop", () => {
  it("ends with the stop, deferred for at once, before SolusIO's connection closes", async () => {
    const own = connectSolusio(h.db, pino({ level: "silent" }), {
      apiUrl: relay.apiUrl,
      token: h.emulator.adminToken,
      tlsInsecure: false,
      timeoutMs: 60_000,
    });
    await ensureBound(h.db, own);
    const stopping = new AbortController();
    const ctx = billingContext(h.handle, {}, new Date("2026-11-15T12:00:00Z"));
    const held = relay.holdAnswerOf("GET", "/users");
    const reconciling = reconcileHandler(
      { ...ctx, signal: stopping.signal },
      integrate(own, ctx.config),
    )({
      id: 1n,
      kind: "solusio.reconcile",
      orderingKey: null,
      payload: {},
      attempts: 1,
    }).catch((error: unknown) => error);
    expect(await held).toEqual({ status: 200 });
    // serve's order: the schedules stop, then SolusIO's connections close (which would end any call left).
    stopping.abort();
    await own.close();
    const ended = await reconciling;
    expect(ended).toBeInstanceOf(RetryLaterError);
    expect(ended).toMatchObject({ retryInMs: 0, countsAsAttempt: false });
  });
});
