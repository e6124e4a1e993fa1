import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callObservers, type SolusioCall } from "../../src/solusio/call-log.ts";
import { storedBillingIdCheck } from "../../src/services/setup/billing-id-check.ts";
import { reconcileSolusio } from "../../src/services/sync/reconcile.ts";
import { type ConsoleClient, textOf } from "../../src/web/console/customer-test-client.ts";
import {
  cliContext,
  type SolusioHarness,
  startSolusioHarness,
  supportConsole,
} from "../helpers/solusio-harness.ts";

// The console's SolusIO page ran the whole doctor on every view, its `billing user ids` check included: a
// read of every SolusIO user, a call per page of 15 (1,334 calls for 20,000 users, each view, each member of
// staff). The page now shows what the last reconciliation stored; only doctor (CLI, API) and reconciliation
// walk the users. Calls are counted as the call log sees them (callObservers), in this process.

let h: SolusioHarness;
let staff: ConsoleClient;
const staffCtx = () => cliContext(h);

beforeAll(async () => {
  h = await startSolusioHarness({ SOLUSIO_DEFAULT_LIMIT_GROUP: "", SOLUSIO_LIMIT_GROUPS: "[]" });
  staff = await supportConsole(h);
}, 60_000);
afterAll(async () => h?.close());

/** The SolusIO calls `fn` makes, as the call log records them. */
async function callsDuring(fn: () => Promise<unknown>): Promise<SolusioCall[]> {
  const calls: SolusioCall[] = [];
  const observe = (c: SolusioCall) => calls.push(c);
  callObservers.add(observe);
  try {
    await fn();
  } finally {
    callObservers.delete(observe);
  }
  return calls;
}

const userLists = (calls: SolusioCall[]) => calls.filter((c) => c.method === "GET" && c.path === "users");

/** The `billing user ids` check's detail as the page shows it. */
const checkShown = (html: string) => textOf(html, "billing-user-ids")?.replaceAll("&#39;", "'");

async function addUsers(from: number, count: number) {
  for (let i = from; i < from + count; i++) {
    const r = await h.emu("POST", "/api/v1/users", {
      email: `walk-${i}@example.com`,
      password: "pw-123456",
      status: "active",
      billing_user_id: null,
    });
    expect(r.status).toBe(201);
  }
}

describe("the console's SolusIO page", () => {
  it("makes as many SolusIO calls with 50 more users as without them: one page of users, not all", async () => {
    await addUsers(0, 5);
    let page = { status: 0, text: "" };
    const few = await callsDuring(async () => {
      page = await staff.get("/console/solusio");
    });
    expect(page.status).toBe(200);
    await addUsers(5, 50); // four pages of users more
    const many = await callsDuring(async () => {
      page = await staff.get("/console/solusio");
    });
    expect(page.status).toBe(200);
    // One page of users is the database binding's check (identifySolusio), whatever their number.
    expect(userLists(many)).toHaveLength(1);
    expect(many.length).toBe(few.length);
    // Each read once: the doctor's plan of setup is the setup card's too (it was planned again, 8 calls).
    expect(many.map((c) => `${c.method} ${c.path}`).sort()).toEqual([
      "GET account",
      "GET limit_groups",
      "GET plans",
      "GET settings",
      "GET users",
    ]);
  });

  it("says when no reconciliation has looked, then what the last one found and when", async () => {
    const before = await staff.get("/console/solusio");
    expect(checkShown(before.text)).toBe("not checked yet: no reconciliation has read SolusIO's users");
    // Not checked is neither a pass nor a failure: a warning with what checks it, not counted as failing.
    expect(textOf(before.text, "billing-user-ids-result")).toBe("not checked yet");
    expect(textOf(before.text, "billing-user-ids-fix")).toBe(
      "the scheduled reconciliation (RECONCILE_INTERVAL_MS, every 60 minutes) checks it; or run `tokenbill solusio reconcile` now",
    );
    const failingRows = before.text.split('<span class="badge bad">failing</span>').length - 1;
    expect(textOf(before.text, "doctor-h")).toBe(
      failingRows > 0 ? `Doctor ${failingRows} failing` : "Doctor",
    );
    expect(before.text).toContain('<span class="badge warn">1 not checked yet</span>');
    // The API's stored mode says the same: ok (nothing found wrong) and not checked.
    const api = await h.server.api("GET", "/api/v1/solusio/doctor?billing_user_ids=stored");
    expect(api.status).toBe(200);
    expect(api.body.data.find((c: { name: string }) => c.name === "billing user ids")).toEqual({
      name: "billing user ids",
      ok: true,
      not_checked: true,
      detail: "not checked yet: no reconciliation has read SolusIO's users",
      fix: "the scheduled reconciliation (RECONCILE_INTERVAL_MS, every 60 minutes) checks it; or run `tokenbill solusio reconcile` now",
    });
    // The whole is not a pass: a monitor reading meta.ok alone must not see one for a check never made.
    expect(api.body.meta).toEqual({
      ok: false,
      failing: api.body.data.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name),
      not_checked: ["billing user ids"],
    });
    // With no reconciliation scheduled, only the command checks it.
    expect((await storedBillingIdCheck(h.db, 0)).fix).toBe(
      "no reconciliation is scheduled (RECONCILE_INTERVAL_MS=0): run `tokenbill solusio reconcile`",
    );

    const reconcile = () =>
      reconcileSolusio(
        staffCtx(),
        { api: h.connection.api, limitGroupId: h.integration.limitGroupId },
        { fix: false },
      );
    const { solusio_users } = await reconcile();
    const after = await staff.get("/console/solusio");
    expect(checkShown(after.text)).toMatch(
      new RegExp(
        `^as of the last reconciliation, .+ \\(${solusio_users} SolusIO users read\\): every billing_user_id in SolusIO is one customer's, on one user$`,
      ),
    );

    // A user carrying an id no customer has: the page names it as the reconciliation stored it.
    const orphan = await h.emu("POST", "/api/v1/users", {
      email: "orphan@example.com",
      password: "pw-123456",
      status: "active",
      billing_user_id: 900_777,
    });
    await reconcile();
    expect(checkShown((await staff.get("/console/solusio")).text)).toMatch(
      new RegExp(
        `^as of the last reconciliation, .+ \\(${solusio_users + 1} SolusIO users read\\): SolusIO users? ${orphan.body.data.id} \\(orphan@example.com\\) carr(y|ies) billing_user_id 900777, which no customer has$`,
      ),
    );
  });
});

describe("the console's SolusIO page when SolusIO answers but a read of setup fails", () => {
  it("shows the doctor's checks and says setup cannot be planned, instead of one error", async () => {
    const failing = (html: string) => Number(/(\d+) failing/.exec(textOf(html, "doctor-h") ?? "")?.[1] ?? 0);
    const failingBefore = failing((await staff.get("/console/solusio")).text);
    await h.emu("POST", "/_emulator/faults", {
      path: "*plans*",
      methods: ["GET"],
      error_rate: 1,
      error_status: [500],
    });
    try {
      const page = await staff.get("/console/solusio");
      expect(page.status).toBe(200);
      expect(textOf(page.text, "setup-status")).toBe(
        "Setup cannot be planned until SolusIO answers and its settings, limit groups and plans can be read: the doctor's checks below say what failed.",
      );
      // The doctor's rows are there, and one more of them fails (the plans could not be read).
      expect(page.text).toContain('id="billing-user-ids"');
      expect(failing(page.text)).toBeGreaterThan(failingBefore);
    } finally {
      await h.emu("DELETE", "/_emulator/faults");
    }
    expect(textOf((await staff.get("/console/solusio")).text, "setup-status")).not.toMatch(
      /cannot be planned/,
    );
  });
});

describe("GET /api/v1/solusio/doctor", () => {
  const billingCheck = (body: any) =>
    (body.data as { name: string; detail: string }[]).find((c) => c.name === "billing user ids")!;

  it("reads every SolusIO user by default, and only the binding's page with billing_user_ids=stored", async () => {
    await addUsers(100, 20); // two pages at least, whichever tests ran before
    let walked: any;
    const walking = await callsDuring(async () => {
      walked = await h.server.api("GET", "/api/v1/solusio/doctor");
    });
    expect(walked.status).toBe(200);
    const { last_page } = (await h.emu("GET", "/api/v1/users")).body.meta;
    expect(last_page).toBeGreaterThan(1);
    // The binding's first page, then each page of the walk.
    expect(userLists(walking)).toHaveLength(1 + last_page);
    expect(billingCheck(walked.body).detail).not.toMatch(/^as of the last reconciliation/);

    let stored: any;
    const storing = await callsDuring(async () => {
      stored = await h.server.api("GET", "/api/v1/solusio/doctor?billing_user_ids=stored");
    });
    expect(stored.status).toBe(200);
    expect(userLists(storing)).toHaveLength(1);
    // What the last reconciliation stored (none ran in a file run alone), not a walk's answer.
    expect(billingCheck(stored.body).detail).toMatch(/^(as of the last reconciliation, |not checked yet: )/);
  });

  it("refuses another value of billing_user_ids with a 400 naming the field and its values", async () => {
    const r = await h.server.api("GET", "/api/v1/solusio/doctor?billing_user_ids=all");
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({
      code: "VALIDATION",
      message: "query.billing_user_ids: must be one of walk, stored",
    });
  });
});
