import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { connectSolusio, type SolusioConnection } from "../../solusio/connect-solusio.ts";
import { billingContext } from "../testing/billing-fixtures.ts";
import { pollActivity } from "./poll-activity.ts";
import { pollServers } from "./poll-servers.ts";

// A SolusIO (or a proxy before it) that sends no Date header: the polls stamp what they saw with tokenbill's
// clock, the only one left, and the connection says once that this clock must then agree with SolusIO's,
// since a difference moves a sighting or a plan's price change by as much, across a month's end too.

const plan = { id: 3, name: "7/5000", tokens_per_hour: 7, tokens_per_month: 5000 };
const ANSWERS: Record<string, unknown> = {
  "/api/v1/servers": {
    data: [
      {
        id: 1,
        uuid: "uuid-1",
        name: "vps-1",
        created_at: "2026-10-10T00:00:00Z",
        plan,
        user: { id: 5, billing_user_id: null },
      },
    ],
    meta: { current_page: 1, last_page: 1 },
  },
  "/api/v1/plans": { data: [plan], meta: { current_page: 1, last_page: 1 } },
  "/api/v1/activity_logs": { data: [], meta: { current_page: 1, last_page: 1 } },
};

let handle: DatabaseHandle;
let server: Server;
let connection: SolusioConnection;
const warnings: { msg: string }[] = [];

beforeAll(async () => {
  handle = await createTestDatabase();
  server = createServer((req, res) => {
    res.sendDate = false;
    const answer = ANSWERS[new URL(req.url ?? "/", "http://x").pathname];
    res.writeHead(answer ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(answer ?? { message: "Not found" }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  connection = connectSolusio(handle.db, logger, {
    apiUrl: `http://127.0.0.1:${port}/api/v1`,
    token: "no-date-token",
    tlsInsecure: false,
    timeoutMs: 5000,
  });
});
afterAll(async () => {
  await connection?.close();
  server?.close();
  await handle?.close();
});

describe("SolusIO answers without a Date header", () => {
  it("are stamped with tokenbill's clock, and the connection warns once that the two clocks must agree", async () => {
    const first = new Date("2026-10-31T23:59:30Z");
    const second = new Date("2026-11-01T00:04:30Z");
    for (const now of [first, second]) {
      const ctx = billingContext(handle, {}, now);
      // The job's own client (stoppedBy) is another client on the same connection: still one warning.
      const api = connection.api.stoppedBy(new AbortController().signal);
      expect((await pollServers({ ctx, input: { solusio: api } })).at).toEqual(now);
      await pollActivity({ ctx, input: { solusio: api } });
    }
    const snapshot = await handle.db
      .selectFrom("server_snapshot")
      .select(["first_seen_at", "last_seen_at"])
      .executeTakeFirstOrThrow();
    expect(snapshot).toEqual({ first_seen_at: first, last_seen_at: second });
    const changes = await handle.db
      .selectFrom("plan_price_change")
      .select(["effective_at", "seen"])
      .execute();
    expect(changes).toEqual([{ effective_at: first, seen: "read" }]);
    expect(warnings.map((w) => w.msg)).toEqual([
      "SolusIO answered GET servers without a Date header: the instants tokenbill takes from SolusIO's answers " +
        "(server sightings, plan price changes seen or pushed) are taken from tokenbill's own clock until it sends " +
        "one, so keep the two clocks in step (NTP): a difference between them moves such an instant by as much, " +
        "across a month's end too (docs/billing-cycle.md)",
    ]);
  });
});
