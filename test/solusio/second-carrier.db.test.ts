import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcileHandler } from "../../src/app/scheduled-tasks.ts";
import { billingContext } from "../../src/billing/testing/billing-fixtures.ts";
import { runDoctor } from "../../src/services/setup/doctor.ts";
import { listCarrierFindings } from "../../src/services/sync/carrier-findings.ts";
import { type ConsoleClient, textOf } from "../../src/web/console/customer-test-client.ts";
import {
  cliContext,
  type SolusioHarness,
  setupDeps,
  solusioUsersCarrying,
  startSolusioHarness,
  supportConsole,
  waitForJobs,
} from "../helpers/solusio-harness.ts";

// A second SolusIO user made in SolusIO with a customer's billing_user_id while the customer has its stored
// user: the sync reads the stored user by its id and never lists the others (no search per delivery,
// bench/sync), so it goes on in_sync. Until 2026-12-06 only a reconcile run by hand said so; the scheduled
// reconciliation logged it as one row among "N differences" every hour, and doctor did not look. Until
// 2026-12-07 the scheduled reconciliation's warning was once per process (again after every restart) and
// nothing showed it to staff who read no logs. Users carrying an id no customer has are each
// `unknown_to_billing`, with a reason naming the others and the way out.

let h: SolusioHarness;
let staff: ConsoleClient;
const staffCtx = () => cliContext(h);
beforeAll(async () => {
  h = await startSolusioHarness({ SOLUSIO_DEFAULT_LIMIT_GROUP: "", SOLUSIO_LIMIT_GROUPS: "[]" });
  h.runner.start();
  // Support, the narrowest role: the findings are for every member of staff to see.
  staff = await supportConsole(h);
}, 60_000);
afterAll(async () => h?.close());

function capturingLogger() {
  const lines: { level: number; msg: string; billingUserId?: number; solusioUsers?: unknown }[] = [];
  const logger = pino(
    { level: "info" },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  );
  return { logger, lines };
}

const job = { id: 1n, kind: "solusio.reconcile", orderingKey: null, payload: {}, attempts: 1 } as const;

async function newUser(email: string, billingUserId: number | null) {
  const r = await h.emu("POST", "/api/v1/users", {
    email,
    password: "pw-123456",
    status: "active",
    billing_user_id: billingUserId,
  });
  expect(r.status).toBe(201);
  return r.body.data.id as number;
}

describe("users carrying a billing_user_id the sync does not see", () => {
  it("a second user with a customer's id: the sync stays in_sync; the scheduled reconciliation warns once, doctor fails", async () => {
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "carrier@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id = created.body.data.id as number;
    await waitForJobs(h.db);
    const [own] = await solusioUsersCarrying(h, id);
    const second = await newUser("carrier-two@example.com", id);

    // The reproduction: the customer's next sync updates its own user and says in_sync, second user or not.
    const locked = await h.server.api("PATCH", `/api/v1/customers/${id}`, { status: "locked" });
    expect(locked.status).toBe(200);
    await waitForJobs(h.db);
    const row = await h.db
      .selectFrom("customer")
      .select(["sync_state", "solusio_user_id"])
      .where("id", "=", BigInt(id))
      .executeTakeFirstOrThrow();
    expect([row.sync_state, Number(row.solusio_user_id)]).toEqual(["in_sync", own!.id]);
    expect((await h.emu("GET", `/api/v1/users/${own!.id}`)).body.data.status).toBe("locked");
    expect((await h.emu("GET", `/api/v1/users/${second}`)).body.data.status).toBe("active");

    // The scheduled reconciliation: a warning of its own naming both users, once while the finding lasts,
    // and the finding kept where staff look (the dashboard, the SolusIO page).
    const { logger, lines } = capturingLogger();
    const ctx = { ...billingContext(h.handle), logger };
    const handler = reconcileHandler(ctx, h.integration);
    await handler(job);
    await handler(job);
    const sharedLines = () => lines.filter((l) => l.msg.includes(`all carry billing_user_id ${id}`));
    const shared = sharedLines();
    expect(shared).toHaveLength(1);
    expect(shared[0]).toMatchObject({
      level: 40,
      billingUserId: id,
      solusioUsers: [
        { id: own!.id, email: "carrier@example.com" },
        { id: second, email: "carrier-two@example.com" },
      ],
    });
    expect(shared[0]!.msg).toBe(
      `SolusIO users ${own!.id} (carrier@example.com), ${second} (carrier-two@example.com) all carry billing_user_id ${id}: ` +
        "the sync keeps to the customer's stored user and never sees the others. Keep the customer's user; in" +
        " SolusIO delete each other one, or clear its billing_user_id (or set it back to its own customer's id);" +
        " `tokenbill solusio reconcile` lists them as a conflict",
    );
    const summary = `SolusIO users ${own!.id} (carrier@example.com), ${second} (carrier-two@example.com) all carry billing_user_id ${id}`;
    const found = await listCarrierFindings({ ctx: staffCtx(), input: {} });
    expect(found).toMatchObject([{ kind: "shared", billing_user_id: id, summary }]);
    const dashboard = await staff.get("/console");
    expect(textOf(dashboard.text, "carrier-findings")).toBe("1 billing_user_ids");
    expect(dashboard.text).toContain("carried by a second SolusIO user or by no customer's user");
    const page = await staff.get("/console/solusio");
    expect(page.text).toContain('id="carrier-findings"');
    expect(page.text).toContain(`<strong>${summary}</strong>`);

    // A restart: the next process's handler on the same database warns of nothing it already recorded, and
    // the finding stays, first seen when it was first seen.
    const restarted = capturingLogger();
    await reconcileHandler({ ...ctx, logger: restarted.logger }, h.integration)(job);
    expect(restarted.lines.filter((l) => l.msg.includes(`billing_user_id ${id}`))).toEqual([]);
    const again = await listCarrierFindings({ ctx: staffCtx(), input: {} });
    expect(again).toMatchObject([{ kind: "shared", billing_user_id: id }]);
    expect(again[0]!.first_seen_at).toEqual(found[0]!.first_seen_at);

    // Doctor names them too.
    const checks = await runDoctor(setupDeps(h));
    const check = checks.find((c) => c.name === "billing user ids");
    expect(check).toMatchObject({
      ok: false,
      detail: `SolusIO users ${own!.id} (carrier@example.com), ${second} (carrier-two@example.com) all carry billing_user_id ${id}`,
    });
    expect(check!.fix).toMatch(/^shared ids: the sync keeps to the customer's stored user/);

    // Released in SolusIO: doctor is content; the finding is gone, so were it to come back it is warned of again.
    await h.emu("PUT", `/api/v1/users/${second}`, { status: "active", billing_user_id: null });
    expect((await runDoctor(setupDeps(h))).find((c) => c.name === "billing user ids")).toMatchObject({
      ok: true,
    });
    await handler(job);
    expect(await listCarrierFindings({ ctx: staffCtx(), input: {} })).toEqual([]);
    expect((await staff.get("/console/solusio")).text).not.toContain('id="carrier-findings"');
    expect((await staff.get("/console")).text).not.toContain('id="carrier-findings"');
    await h.emu("PUT", `/api/v1/users/${second}`, { status: "active", billing_user_id: id });
    await handler(job);
    expect(sharedLines()).toHaveLength(2);
    await h.emu("DELETE", `/api/v1/users/${second}`);
    await handler(job);
  });

  it("several users carrying an id no customer has: each unknown_to_billing once, in id order, naming the others", async () => {
    const gone = 900_001;
    const first = await newUser("orphan-1@example.com", gone);
    const other = await newUser("orphan-2@example.com", gone);
    // The scheduled reconciliation finds them first: warned of once, naming them; the API's reconcile
    // after it finds them recorded already.
    const { logger, lines } = capturingLogger();
    const handler = reconcileHandler({ ...billingContext(h.handle), logger }, h.integration);
    await handler(job);
    await handler(job);
    const warned = lines.filter((l) => l.msg.includes(`billing_user_id ${gone}, which no customer has`));
    expect(warned.map((l) => l.msg)).toEqual([
      `SolusIO users ${first} (orphan-1@example.com), ${other} (orphan-2@example.com) carry billing_user_id ${gone}, which no customer has: ` +
        "GetTokenPricing answers not found for them (SolusIO shows them no prices) and billing runs" +
        " report their usage as unknown_billing_user, billed to no one. If a user is a customer's, set its" +
        " billing_user_id to that customer's id; if its customer was deleted, delete it in SolusIO (its servers" +
        " first); otherwise clear its billing_user_id.",
    ]);
    const reconcile = async () =>
      ((await h.server.api("POST", "/api/v1/solusio/reconcile", {})).body.data.drift as any[]).filter(
        (d) => d.kind === "unknown_to_billing" && d.solusio.billing_user_id === gone,
      );
    const rows = await reconcile();
    expect(rows.map((d) => [d.solusio_user_id, d.solusio.email])).toEqual([
      [first, "orphan-1@example.com"],
      [other, "orphan-2@example.com"],
    ]);
    expect(rows[0].reason).toBe(
      `SolusIO user ${first} (orphan-1@example.com) carries billing_user_id ${gone}, which no customer has` +
        ` (so do SolusIO users ${other} (orphan-2@example.com)). GetTokenPricing answers not found for them` +
        " (SolusIO shows them no prices) and billing runs report their usage as" +
        " unknown_billing_user, billed to no one. If a user is a customer's, set its billing_user_id to that" +
        " customer's id; if its customer was deleted, delete it in SolusIO (its servers first); otherwise clear" +
        " its billing_user_id.",
    );
    expect(rows[1].reason).toMatch(
      new RegExp(
        `^SolusIO user ${other} \\(orphan-2@example.com\\) carries billing_user_id ${gone}, which no customer has \\(so do SolusIO users ${first} `,
      ),
    );
    // The same rows on the next run.
    expect(await reconcile()).toEqual(rows);

    const check = (await runDoctor(setupDeps(h))).find((c) => c.name === "billing user ids");
    expect(check).toMatchObject({
      ok: false,
      detail: `SolusIO users ${first} (orphan-1@example.com), ${other} (orphan-2@example.com) carry billing_user_id ${gone}, which no customer has`,
    });
    expect(check!.fix).toMatch(/^ids no customer has: GetTokenPricing answers not found/);
  });
});
