import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type SolusioHarness,
  startSolusioHarness,
  waitForJobs,
} from "../../../test/helpers/solusio-harness.ts";
import { testClock } from "../../../test/helpers/test-clock.ts";
import { FRESH_MS } from "../../services/dashboard/overdue-view.ts";
import { TEST_ADMIN_KEY } from "../../../test/helpers/test-server.ts";
import { systemContext } from "../../app/database.ts";
import { periodBounds, previousPeriod } from "../../domain/periods.ts";
import { type Actor, actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { createDunCustomer, issueInvoice } from "../../billing/dunning/dunning-fixtures.ts";
import { createCustomer } from "../../services/customers/customers.ts";
import { createApiKey } from "../../services/api-keys/api-keys.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";
import { ConsoleClient, textOf } from "./customer-test-client.ts";

// The console's dashboard, SolusIO, log, API-key and settings pages over real HTTP against the SolusIO
// emulator: figures shown are the ones the usage, the ledger and SolusIO give, each form's effect is read
// back from the database, the emulator or the API, and roles that may not are refused.

const PASSWORD = "console admin password";
let h: SolusioHarness;
let ctx: ServiceContext;
let owner: ConsoleClient;
let admin: ConsoleClient;
let support: ConsoleClient;
let ownerId: string;
const clock = testClock();

beforeAll(async () => {
  h = await startSolusioHarness({}, { now: clock.now });
  h.runner.start();
  ctx = systemContext(h.handle, h.config, pino({ level: "silent" }), actors.cli());
  ownerId = (
    await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password: PASSWORD } })
  ).id;
  await createStaffUser({ ctx, input: { email: "admin@example.com", role: "admin", password: PASSWORD } });
  await createStaffUser({
    ctx,
    input: { email: "support@example.com", role: "support", password: PASSWORD },
  });
  owner = await ConsoleClient.logIn(h.server.url, "owner@example.com", PASSWORD);
  admin = await ConsoleClient.logIn(h.server.url, "admin@example.com", PASSWORD);
  support = await ConsoleClient.logIn(h.server.url, "support@example.com", PASSWORD);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe("dashboard", () => {
  it("shows no run, nothing overdue and SolusIO reachable on an empty database", async () => {
    const page = await owner.get("/console");
    expect(page.status).toBe(200);
    expect(page.text).toContain("No billing run yet.");
    expect(page.text).toContain("Nothing is overdue.");
    expect(textOf(page.text, "solusio-health")).toBe("reachable");
    expect(textOf(page.text, "estimate-tokens")).toBe("0 tokens");
    expect(textOf(page.text, "sync-errors")).toBe("0 customers");
  });

  it("totals what is overdue per currency, from the ledger, leaving out what is not yet due", async () => {
    const customerId = await createDunCustomer(h.db, { email: "late@example.com" });
    await issueInvoice(h.db, { customerId, total: 123456n, dueDate: "2026-01-10" });
    await issueInvoice(h.db, { customerId, total: 500n, dueDate: "2026-02-10" });
    // A customer's invoices are all in its currency (until 2026-12-07 the fixture let this test issue a euro
    // invoice to a dollar customer): the euros are another customer's.
    const euroId = await createDunCustomer(h.db, { email: "late-eur@example.com", currency: "EUR" });
    await issueInvoice(h.db, { customerId: euroId, total: 999n, dueDate: "2026-02-10" });
    await issueInvoice(h.db, { customerId, total: 7777n, dueDate: "2999-01-01" });
    const overdueShown = async () => {
      const html = (await owner.get("/console")).text;
      const list = /<ul id="overdue">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? "";
      const items = [...list.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) =>
        m[1]!
          .replace(/<[^>]+>/g, "")
          .replace(/\s+/g, " ")
          .trim(),
      );
      return { items, asOf: textOf(html, "overdue-as-of") };
    };
    // The page's views share figures for a minute (the test before computed them, with nothing overdue):
    // two minutes on, they are computed again.
    const later = new Date(Date.now() + 2 * FRESH_MS);
    clock.pin(later);
    try {
      const shown = await overdueShown();
      expect(shown.items).toEqual(["€9.99 on 1 invoices", "$1,239.56 on 2 invoices"]);
      expect(shown.asOf).toBe(`As of ${later.toISOString().slice(0, 16).replace("T", " ")} UTC.`);
      // Within the minute, a new overdue invoice waits for the next computation.
      await issueInvoice(h.db, { customerId, total: 1n, dueDate: "2026-02-10" });
      expect(await overdueShown()).toEqual(shown);
    } finally {
      clock.release();
    }
  });

  it("estimates the month so far from the usage SolusIO reports, priced in the customer's currency", async () => {
    const customer = await createCustomer({
      ctx,
      input: { email: "ada@example.com", name: "Ada", country: "US", currency: "USD" } as never,
    });
    await waitForJobs(h.db);
    const row = await h.db
      .selectFrom("customer")
      .select("solusio_user_id")
      .where("id", "=", BigInt(customer.id))
      .executeTakeFirstOrThrow();
    // Last month, with the server's clock pinned inside it: every hour the page asks about has passed, and
    // the figures are the same whenever the suite runs (a month's first hour once made this test fail).
    const month = periodBounds(previousPeriod(new Date(), "UTC"), "UTC");
    await h.emu("POST", "/_emulator/clock", { now: month.start.toISOString(), frozen: true });
    const plan = (
      await h.emu("POST", "/api/v1/plans", { name: "Dash plan", tokens_per_hour: 7, tokens_per_month: 5000 })
    ).body.data;
    const location = (await h.emu("GET", "/api/v1/locations")).body.data[0];
    const server = await h.emu("POST", "/api/v1/servers", {
      name: "web-1",
      plan: plan.id,
      location: location.id,
      os: 1,
      password: "pw-123456",
      user: Number(row.solusio_user_id),
    });
    expect(server.status).toBe(201);
    await h.emu("POST", "/_emulator/clock", { now: new Date().toISOString(), frozen: false });

    // A session of its own: requests at a pinned time move its expiry back into last month.
    const viewer = await ConsoleClient.logIn(h.server.url, "owner@example.com", PASSWORD);
    try {
      // 5 h 40 min into the month: 5 whole hours, 7 tokens each (billing-rules §2). USD's token unit cost is
      // 0.001 $: 35 tokens are 3.5 cents, rounded half away from zero to $0.04; no tax rule applies.
      clock.pin(new Date(month.start.getTime() + (5 * 60 + 40) * 60_000));
      const page = await viewer.get("/console");
      expect(textOf(page.text, "estimate-tokens")).toBe("35 tokens");
      expect(textOf(page.text, "estimate-revenue")).toContain("$0.04");
      // In the month's first hour no whole hour has passed: nothing has accrued, and the page says so.
      clock.pin(new Date(month.start.getTime() + 40 * 60_000));
      const firstHour = await viewer.get("/console");
      expect(textOf(firstHour.text, "estimate-tokens")).toBe("0 tokens");
      expect(firstHour.text).toContain("No revenue accrued yet.");
    } finally {
      clock.release();
    }
  });
});

describe("SolusIO page", () => {
  it("shows the doctor's findings with their fix, and applies setup", async () => {
    const before = await owner.get("/console/solusio");
    expect(before.status).toBe(200);
    expect(before.text).toContain("registration off");
    expect(before.text).toContain("run `tokenbill solusio setup --apply`");
    expect(textOf(before.text, "setup-status")).toMatch(/to change/);
    expect((await h.emu("GET", "/api/v1/settings")).body.data.features.allow_registration).toBe(true);

    const refused = await support.submit("/console/solusio", "/console/solusio/setup");
    expect(refused.status).toBe(403);

    const applied = await owner.submit("/console/solusio", "/console/solusio/setup");
    expect(applied.status).toBe(303);
    expect(applied.location).toMatch(/^\/console\/solusio\?notice=setup_(applied|remaining)$/);
    expect((await h.emu("GET", "/api/v1/settings")).body.data.features.allow_registration).toBe(false);
    const after = await owner.get(applied.location!);
    expect(after.text).not.toContain("self-registration in the user area is on");
  });
});

describe("logs", () => {
  it("lists SolusIO calls and filters them by outcome and status", async () => {
    const newest = await h.db
      .selectFrom("solusio_call")
      .select(["method", "path", "status"])
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    const all = await owner.get("/console/call-log");
    expect(all.status).toBe(200);
    expect(all.text).toContain(`<code>${newest.method} ${newest.path}</code>`);
    expect((await owner.get("/console/call-log?status=599")).text).toContain("No call matches.");
    // A failed call as the client records one when SolusIO does not answer.
    await h.db
      .insertInto("solusio_call")
      .values({
        method: "GET",
        path: "/api/v1/unreachable",
        status: null,
        duration_ms: 5,
        attempt: 3,
        request_body: null,
        error: "connect ECONNREFUSED",
      })
      .execute();
    const failed = await owner.get("/console/call-log?failed=true");
    expect(failed.text).toContain("/api/v1/unreachable");
    expect(failed.text).toContain("connect ECONNREFUSED");
    expect(failed.text).not.toContain(`<code>${newest.method} ${newest.path}</code>`);
    const byStatus = await owner.get(`/console/call-log?status=${newest.status}`);
    expect(byStatus.text).toContain(`<code>${newest.method} ${newest.path}</code>`);
    expect(byStatus.text).not.toContain("/api/v1/unreachable");
  });

  it("refuses a filter it cannot read beside its field with a 400 and no calls, as the other lists do", async () => {
    // Until 2026-12-06 the bad filter was dropped and every call listed, as if none had been asked for.
    const bad = await owner.get("/console/call-log?status=abc");
    expect(bad.status).toBe(400);
    expect(textOf(bad.text, "status-error")).toBe("Must be an HTTP status from 100 to 599.");
    expect(bad.text).toContain('value="abc"');
    expect(bad.text).not.toContain("<table");
    const outcome = await owner.get("/console/call-log?failed=maybe");
    expect(outcome.status).toBe(400);
    expect(textOf(outcome.text, "failed-error")).toBe("Must be one of true, false.");
  });

  it("lists the audit log and filters it by subject", async () => {
    const staff = await owner.get(`/console/audit-log?entity=staff_user&entity_id=${ownerId}`);
    expect(staff.status).toBe(200);
    expect(staff.text).toContain(`staff_user ${ownerId}`);
    expect(staff.text).not.toContain("customer 1<");
    const customers = await owner.get("/console/audit-log?entity=customer");
    // The action as stored and documented (`customer.create`), which names its subject's kind already: until
    // 2026-12-07 the page put the kind before it again, "customer.customer.create".
    expect(customers.text).toContain("<td>customer.create</td>");
    expect(customers.text).not.toContain("customer.customer.create");
    expect(customers.text).not.toContain("staff_user.create");
  });

  it("names each entry's actor as a person reads it, keeping the stored label to filter by", async () => {
    // Until 2026-12-07 the Actor column showed the label as stored (`staff:stf_…`, `apikey:key_…`), which the
    // API keys page already named: the same nameActors words here.
    const audId = (
      await createStaffUser({
        ctx,
        input: { email: "aud@example.com", name: "Audrey Auditor", role: "admin", password: PASSWORD },
      })
    ).id;
    const aud = await ConsoleClient.logIn(h.server.url, "aud@example.com", PASSWORD);
    await aud.submit("/console/api-keys", "/console/api-keys", { name: "by audrey" });
    const post = (key: string, name: string) =>
      fetch(`${h.server.url}/api/v1/api-keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ name }),
      }).then((r) => r.json() as Promise<{ data: { id: string; key: string } }>);
    const envMade = (await post(TEST_ADMIN_KEY, "audit env")).data;
    const keyMade = (await post(envMade.key, "audit by key")).data;
    const system = (actor: Actor) => systemContext(h.handle, h.config, pino({ level: "silent" }), actor);
    const boot = await createApiKey({ ctx: system(actors.system("bootstrap")), input: { name: "audit b" } });
    const byCli = await createApiKey({ ctx: system(actors.cli()), input: { name: "audit c" } });

    // Each key's creation row, read back by its subject; the cell's name and the stored label beside it.
    const actorOf = async (keyId: string) => {
      const html = (await owner.get(`/console/audit-log?entity=api_key&entity_id=${keyId}`)).text;
      const row = /<tr>\s*<td>[\s\S]*?<\/tr>/.exec(html.slice(html.indexOf("<tbody>")))?.[0] ?? "";
      const stored = /<code>([^<]*)<\/code>/.exec(row)?.[1];
      return { shown: textOf(row, /id="(actor-\d+)"/.exec(row)?.[1] ?? "none"), stored };
    };
    const audKey = (
      await h.db
        .selectFrom("audit_log")
        .select("entity_id")
        .where("actor", "=", `staff:${audId}`)
        .where("entity", "=", "api_key")
        .executeTakeFirstOrThrow()
    ).entity_id;
    expect(await actorOf(audKey)).toEqual({
      shown: "Audrey Auditor (aud@example.com)",
      stored: `staff:${audId}`,
    });
    expect(await actorOf(envMade.id)).toEqual({
      shown: "environment key (TOKENBILL_ADMIN_API_KEY)",
      stored: "env-admin-key",
    });
    expect(await actorOf(keyMade.id)).toEqual({
      shown: "API key “audit env”",
      stored: `apikey:${envMade.id}`,
    });
    expect(await actorOf(boot.id)).toEqual({ shown: "bootstrap (first start)", stored: "system:bootstrap" });
    expect(await actorOf(byCli.id)).toEqual({ shown: "command line", stored: "cli" });
    // The filter still takes the stored label, and the label links to that filter.
    const byAud = (await owner.get(`/console/audit-log?actor=staff:${audId}`)).text;
    expect(byAud).toContain(`href="/console/audit-log?actor=${encodeURIComponent(`staff:${audId}`)}"`);
    expect(byAud).not.toContain("<code>env-admin-key</code>");
  });
});

describe("API keys", () => {
  it("creates a key shown once that the API accepts, then revokes it after a confirmation", async () => {
    const empty = await owner.submit("/console/api-keys", "/console/api-keys", { name: "  " });
    expect(empty.status).toBe(400);
    expect(textOf(empty.text, "name-error")).toBe("Must be 1 to 100 characters.");
    // A tab pasted into the name: the form again with the name kept (the tab a space) and the field named.
    const tab = await owner.submit("/console/api-keys", "/console/api-keys", { name: "deploy\tpipeline" });
    expect(tab.status).toBe(400);
    expect(textOf(tab.text, "name-error")).toMatch(/^Held a control character/);
    expect(tab.text).toContain('value="deploy pipeline"');

    const posted = await owner.submit("/console/api-keys", "/console/api-keys", { name: "deploy pipeline" });
    // Post/Redirect/Get (until 2026-12-06 the answer was the page itself, and a reload made a second key).
    expect(posted).toMatchObject({ status: 303, location: "/console/api-keys" });
    // The key travels to the next page in a cookie of that page alone, sealed: never in clear, nor in the URL.
    const sealed = posted.headers.getSetCookie().find((c) => c.startsWith("tb_once_api_key="))!;
    expect(sealed).toMatch(/; Max-Age=300; Path=\/console\/api-keys; HttpOnly; SameSite=Strict/);
    // Another session with the cookie opens nothing: the seal is bound to the session that made the key.
    const other = await ConsoleClient.logIn(h.server.url, "owner@example.com", PASSWORD);
    const once = owner.cookies.value("tb_once_api_key", "/console/api-keys")!;
    other.cookies.plant("tb_once_api_key", once, "/console/api-keys");
    expect(textOf((await other.get("/console/api-keys")).text, "new-key")).toBeUndefined();
    const created = await owner.get(posted.location!);
    const key = textOf(created.text, "new-key")!;
    expect(key).toMatch(/^tbk_[0-9a-f]{12}_/);
    expect(sealed).not.toContain(key.slice(4));
    // Shown once: the page again (a reload) lists the key and no longer holds it.
    expect((await owner.get("/console/api-keys")).text).not.toContain(key);
    const call = (k: string) =>
      fetch(`${h.server.url}/api/v1/customers`, { headers: { authorization: `Bearer ${k}` } });
    expect((await call(key)).status).toBe(200);

    const list = await owner.get("/console/api-keys");
    expect(list.text).toContain("deploy pipeline");
    expect(list.text).not.toContain(key); // never shown again
    const id = `key_${key.slice(4, 16)}`;
    expect((await support.submit("/console/api-keys", "/console/api-keys", { name: "x" })).status).toBe(403);

    const confirm = await owner.get(`/console/api-keys/${id}/revoke`);
    expect(confirm.text).toContain("Revoke key");
    // By its name, as the list shows it; an id that is no key's has nothing to confirm (until 2026-12-05 it had).
    expect(confirm.text).toContain("Revoke API key “deploy pipeline”");
    expect((await owner.get("/console/api-keys/key_000000000000/revoke")).status).toBe(404);
    expect((await call(key)).status).toBe(200); // the confirmation page changes nothing
    const revoked = await owner.submit(`/console/api-keys/${id}/revoke`, `/console/api-keys/${id}/revoke`);
    expect(revoked).toMatchObject({ status: 303, location: "/console/api-keys?notice=revoked" });
    expect((await call(key)).status).toBe(401);
  });

  it("creates a key of the role chosen in the select, listed with it; a role it does not offer is said beside it", async () => {
    const keyCount = async () =>
      Number(
        (
          await h.handle.db
            .selectFrom("api_key")
            .select((eb) => eb.fn.countAll<bigint>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const page = await owner.get("/console/api-keys");
    expect(page.text).toMatch(/<select id="role" name="role"[^>]*>\s*<option value="admin" selected>/);
    const before = await keyCount();
    const bad = await owner.submit("/console/api-keys", "/console/api-keys", {
      name: "rooted",
      role: "root",
    });
    expect(bad.status).toBe(400);
    expect(textOf(bad.text, "role-error")).toMatch(/\S/);
    expect(await keyCount()).toBe(before);

    const posted = await owner.submit("/console/api-keys", "/console/api-keys", {
      name: "helpdesk reader",
      role: "support",
    });
    expect(posted).toMatchObject({ status: 303, location: "/console/api-keys" });
    const key = textOf((await owner.get(posted.location!)).text, "new-key")!;
    const id = `key_${key.slice(4, 16)}`;
    const list = await owner.get("/console/api-keys");
    expect(list.text).toMatch(
      new RegExp(`<td>helpdesk reader</td>\\s*<td><code>tbk_${id.slice(4)}</code></td>\\s*<td>support</td>`),
    );
    // The key acts as support: it reads, and may not write.
    const as = (method: string, path: string) =>
      fetch(`${h.server.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
    expect((await as("GET", "/api/v1/customers")).status).toBe(200);
    expect((await as("POST", "/api/v1/customers")).status).toBe(403);
  });

  it("names who created a key, and revokes an admin's keys when an owner disables the admin", async () => {
    const leaverId = (
      await createStaffUser({
        ctx,
        input: { email: "leaver@example.com", role: "admin", password: PASSWORD },
      })
    ).id;
    const leaver = await ConsoleClient.logIn(h.server.url, "leaver@example.com", PASSWORD);
    await leaver.submit("/console/api-keys", "/console/api-keys", { name: "backup automation" });
    const key = textOf((await leaver.get("/console/api-keys")).text, "new-key")!;
    const id = `key_${key.slice(4, 16)}`;
    const call = (path: string, k = key) =>
      fetch(`${h.server.url}${path}`, { headers: { authorization: `Bearer ${k}` } });
    expect((await call("/api/v1/customers")).status).toBe(200);
    const listed = (await (await call("/api/v1/api-keys?per_page=500", TEST_ADMIN_KEY)).json()) as {
      data: { id: string; created_by: string | null }[];
    };
    expect(listed.data.find((k) => k.id === id)?.created_by).toBe(`staff:${leaverId}`);
    expect(textOf((await owner.get("/console/api-keys")).text, `created-by-${id}`)).toBe(
      "leaver@example.com",
    );

    const confirm = await owner.get(`/console/settings/staff/${leaverId}/disable`);
    expect(confirm.text).toContain("every API key they created is revoked");
    const disabled = await owner.submit(
      `/console/settings/staff/${leaverId}/disable`,
      `/console/settings/staff/${leaverId}/disable`,
    );
    expect(disabled).toMatchObject({ status: 303, location: "/console/settings?notice=disabled&keys=1" });
    expect((await owner.get(disabled.location!)).text).toContain(
      "The user is disabled and every session of theirs has ended. 1 API key they created is revoked.",
    );
    expect((await call("/api/v1/customers")).status).toBe(401);
  });

  it("names each key's creator as a person reads it: a staff user by name and e-mail, not by id", async () => {
    await createStaffUser({
      ctx,
      input: { email: "kim@example.com", name: "Kim Keymaker", role: "admin", password: PASSWORD },
    });
    const kim = await ConsoleClient.logIn(h.server.url, "kim@example.com", PASSWORD);
    const idOf = (key: string) => `key_${key.slice(4, 16)}`;
    await kim.submit("/console/api-keys", "/console/api-keys", { name: "k1" });
    const byKim = idOf(textOf((await kim.get("/console/api-keys")).text, "new-key")!);
    const post = (key: string, name: string) =>
      fetch(`${h.server.url}/api/v1/api-keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ name }),
      }).then((r) => r.json() as Promise<{ data: { id: string; key: string } }>);
    const envMade = (await post(TEST_ADMIN_KEY, "made by the env key")).data;
    const keyMade = (await post(envMade.key, "made by a key")).data;
    const system = (actor: Actor) => systemContext(h.handle, h.config, pino({ level: "silent" }), actor);
    const bootstrap = await createApiKey({ ctx: system(actors.system("bootstrap")), input: { name: "b" } });
    const cli = await createApiKey({ ctx: system(actors.cli()), input: { name: "c" } });

    const page = (await owner.get("/console/api-keys?per_page=500")).text;
    expect(textOf(page, `created-by-${byKim}`)).toBe("Kim Keymaker (kim@example.com)");
    expect(textOf(page, `created-by-${envMade.id}`)).toBe("environment key (TOKENBILL_ADMIN_API_KEY)");
    expect(textOf(page, `created-by-${keyMade.id}`)).toBe("API key “made by the env key”");
    expect(textOf(page, `created-by-${bootstrap.id}`)).toBe("bootstrap (first start)");
    expect(textOf(page, `created-by-${cli.id}`)).toBe("command line");
    // The API keeps the audit log's labels, which name the same actors there.
    const listed = (await (
      await fetch(`${h.server.url}/api/v1/api-keys?per_page=500`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      })
    ).json()) as { data: { id: string; created_by: string | null }[] };
    expect(listed.data.find((k) => k.id === byKim)?.created_by).toMatch(/^staff:stf_/);
  });
});

describe("settings", () => {
  it("shows the effective configuration read-only with secrets masked", async () => {
    const page = await support.get("/console/settings");
    expect(page.status).toBe(200);
    expect(page.text).toContain("TOKENBILL_ADMIN_API_KEY");
    expect(page.text).toContain("********");
    expect(page.text).not.toContain(TEST_ADMIN_KEY);
    expect(page.text).toContain("Staff users are managed by owners and admins.");
    expect(page.text).not.toContain("admin@example.com");
  });

  it("shows where tokenbill's systems are to owners and admins only; other roles see whether each is set", async () => {
    const row = (html: string, key: string) =>
      new RegExp(`<code>${key}</code></td><td><code class="secret">([^<]*)<`).exec(html)?.[1];
    const supportPage = (await support.get("/console/settings")).text;
    expect([row(supportPage, "HOST"), row(supportPage, "DATABASE_URL"), row(supportPage, "PORT")]).toEqual([
      "set",
      "not set",
      expect.stringMatching(/^\d+$/),
    ]);
    const ownerPage = (await owner.get("/console/settings")).text;
    expect([row(ownerPage, "HOST"), row(ownerPage, "DATABASE_URL")]).toEqual([h.config.HOST, undefined]);
  });

  it("lets an owner create a staff user, change the role and disable the user", async () => {
    const bad = await owner.submit("/console/settings", "/console/settings/staff", {
      email: "nobody",
      role: "billing",
    });
    expect(bad.status).toBe(400);
    expect(textOf(bad.text, "email-error")).toBe("Must be an e-mail address.");

    const posted = await owner.submit("/console/settings", "/console/settings/staff", {
      email: "bill@example.com",
      name: "Bill",
      role: "billing",
      password: "",
    });
    expect(posted).toMatchObject({ status: 303, location: "/console/settings" });
    const created = await owner.get(posted.location!);
    expect(textOf(created.text, "created-h")).toBe("bill@example.com can log in as billing");
    const password = textOf(created.text, "new-password")!;
    expect(textOf((await owner.get("/console/settings")).text, "new-password")).toBeUndefined();
    expect(password.length).toBeGreaterThanOrEqual(12);
    // The staff list says who must still change a generated password (migration 034), until it is changed.
    const billsRow = async () =>
      /<tr>(?:(?!<\/tr>)[\s\S])*bill@example\.com(?:(?!<\/tr>)[\s\S])*<\/tr>/.exec(
        (await owner.get("/console/settings")).text,
      )?.[0];
    expect(await billsRow()).toContain('<span class="badge warn">must change password</span>');
    // A generated password: the first login asks for a password of Bill's own before anything else.
    const bill = new ConsoleClient(h.server.url);
    const firstLogin = await bill.submit("/console/login", "/console/login", {
      email: "bill@example.com",
      password,
    });
    expect(firstLogin).toMatchObject({ status: 303, location: "/console/account/password" });
    const chosen = "bill-chose-this-one";
    const changed = await bill.submit("/console/account/password", "/console/account/password", {
      current_password: password,
      new_password: chosen,
      new_password_again: chosen,
    });
    expect(changed).toMatchObject({ status: 303, location: "/console/account?notice=own_password_changed" });
    expect(await billsRow()).not.toContain("must change password");
    const user = await h.db
      .selectFrom("staff_user")
      .select(["id", "role"])
      .where("email", "=", "bill@example.com")
      .executeTakeFirstOrThrow();
    expect(user.role).toBe("billing");

    const roleChanged = await owner.submit("/console/settings", `/console/settings/staff/${user.id}/role`, {
      role: "support",
    });
    expect(roleChanged).toMatchObject({ status: 303, location: "/console/settings?notice=role_changed" });
    expect(
      (await h.db.selectFrom("staff_user").select("role").where("id", "=", user.id).executeTakeFirstOrThrow())
        .role,
    ).toBe("support");
    // A role the select does not offer, or one with a control character in it: the settings page saying the
    // role was not changed (until 2026-12-05 the bare 400 error page).
    for (const role of ["emperor", "admin\t", "\u0007admin"]) {
      const refused = await owner.submit("/console/settings", `/console/settings/staff/${user.id}/role`, {
        role,
      });
      expect(refused.status, JSON.stringify(role)).toBe(400);
      expect(refused.text).toMatch(/role="alert">The role of bill@example\.com was not changed/);
      expect(refused.text).toContain("Change role");
    }
    expect(
      (await h.db.selectFrom("staff_user").select("role").where("id", "=", user.id).executeTakeFirstOrThrow())
        .role,
    ).toBe("support");

    const confirm = await owner.get(`/console/settings/staff/${user.id}/disable`);
    expect(confirm.text).toContain("Disable user");
    expect((await bill.get("/console")).status).toBe(200);
    const disabled = await owner.submit(
      `/console/settings/staff/${user.id}/disable`,
      `/console/settings/staff/${user.id}/disable`,
    );
    expect(disabled).toMatchObject({ status: 303, location: "/console/settings?notice=disabled" });
    expect((await bill.get("/console")).status).toBe(303); // the session ended with the account
  });

  it("lists staff users 50 a page, with a pager to the next", async () => {
    const hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
    await h.db
      .insertInto("staff_user")
      .values(
        Array.from({ length: 50 }, (_, i) => ({
          id: `stf_${(0xa000 + i).toString(16)}`,
          email: `zz-${String(i).padStart(2, "0")}@example.com`,
          role: "support" as const,
          password_hash: hash,
        })),
      )
      .execute();
    const total = Number(
      (
        await h.db
          .selectFrom("staff_user")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const first = await admin.get("/console/settings");
    expect((first.text.match(/<tr>\s*<td>[^<]*@example\.com<\/td>/g) ?? []).length).toBe(50);
    expect(first.text).toContain(`Page 1 of 2 (${total} in all)`);
    expect(first.text).toContain('href="/console/settings?page=2" rel="next"');
    const second = await admin.get("/console/settings?page=2");
    expect(second.text).toContain("<td>zz-49@example.com</td>");
    expect(first.text).toContain("<td>admin@example.com</td>");
    expect(second.text).not.toContain("<td>admin@example.com</td>");
  });

  it("refuses an admin who tries to demote an owner", async () => {
    const answer = await admin.submit("/console/settings", `/console/settings/staff/${ownerId}/role`, {
      role: "support",
    });
    expect(answer.status).toBe(403);
    expect(
      (await h.db.selectFrom("staff_user").select("role").where("id", "=", ownerId).executeTakeFirstOrThrow())
        .role,
    ).toBe("owner");
  });
});
