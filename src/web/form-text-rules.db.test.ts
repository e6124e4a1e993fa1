import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changed, everyRow } from "../../test/helpers/every-row.ts";
import { hiddenOf, PageClient } from "../../test/helpers/page-client.ts";
import { type SolusioHarness, startSolusioHarness } from "../../test/helpers/solusio-harness.ts";
import { systemContext } from "../app/database.ts";
import { runnerFor } from "../app/runner.ts";
import { actors } from "../kernel/actor.ts";
import { MAX_BODY_TEXT } from "../kernel/clean-text.ts";
import type { PortalMessage } from "../services/portal-accounts/portal-mail.ts";
import { totpCodeAt } from "../services/staff/totp.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { ConsoleClient, textOf } from "./console/customer-test-client.ts";
import { PortalClient, portalCustomer } from "./portal/testing/portal-fixtures.ts";
import { drawUnwalked, UNWALKED } from "./testing/unwalked-forms.ts";

// One table of text rules, every form held to it (docs/security.md, "Input"). The forms are not listed by
// hand: the pages are walked from the console's and the portal's home pages (and the public login pages),
// each form with a field a person types into is found, and each such field is sent what the rules refuse.
// Every page POST route of the route table must have been reached (its form seen, typed field or not), or be
// named in UNWALKED with its form drawn elsewhere and shown to have no typed field; a new form is covered, or
// this fails naming it. A walk that would go past MAX_PAGES fails, naming what it left. Each refusal must be
// the form again (400, the message beside that field), with no row of any table written (the form's one-time
// key, when it has one, stays unspent with them). A form that shows only after a step (an edit form needs its
// row, the two-factor code a password, a mailed link its mail) is reached by taking that step first, as a
// person would.

const PASSWORD = "form rules password";
const BAD: readonly { what: string; encoded: string }[] = [
  { what: "NUL", encoded: "a%00b" },
  { what: "BEL", encoded: "a%07b" },
  { what: "a bidi override", encoded: "a%E2%80%AEb" },
  { what: "a lone surrogate's bytes", encoded: "a%ED%A0%80b" },
  { what: "one over the bound", encoded: "a".repeat(MAX_BODY_TEXT + 1) },
];
/** Fields a person types into; passwords are only bounded (docs/security.md) and are left out. */
const TYPED = new Set(["text", "email", "search", "tel", "url"]);
/** Links not to follow: they end the session, start downloads or leave for SolusIO. */
const SKIP = /logout|\.pdf|\.csv|\/sso|\/backup|\/control-panel|\/export|\/checkout/;

/**
 * The most pages one walk may visit: the console's took 86 on 2026-12-07 (the others 12 or fewer). Past it the
 * walk fails rather than stop with forms unseen.
 */
const MAX_PAGES = 130;

interface Form {
  page: string;
  action: string;
  fields: string[];
  /** The page holding the form when a POST draws it (a flow's step), not a GET of `page`. */
  draw?: () => Promise<string>;
}

let h: SolusioHarness;
let staff: ConsoleClient;
let customer: PortalClient;
let adaEmail: string;

beforeAll(async () => {
  h = await startSolusioHarness();
  const ctx = systemContext(h.handle, h.config, pino({ level: "silent" }), actors.cli());
  await createStaffUser({ ctx, input: { email: "rules@example.com", role: "owner", password: PASSWORD } });
  staff = await ConsoleClient.logIn(h.server.url, "rules@example.com", PASSWORD);
  const ada = await portalCustomer(h.handle, {
    email: "rules-ada@example.com",
    name: "Ada",
    dueDate: "2099-01-01",
  });
  adaEmail = ada.email;
  customer = new PortalClient(h.server.url);
  await customer.logIn(ada.email);
  // Each set-up step says which it is when it fails: the walk would only miss its form, and the test would
  // fail later as a route unreached, naming no step.
  // One row of each pricing resource, made with its own create form, so the walk finds their edit forms.
  await create("client-groups", { name: "Rules group" });
  const group = /<option value="(\d+)">Rules group</.exec(
    (await staff.get("/console/pricing/discounts/new")).text,
  )?.[1];
  expect(group, "set-up: the client group made, offered on the discount form").toBeDefined();
  await create("discounts", { name: "Rules discount", multiplier: "0.9", client_group_id: group ?? "" });
  await create("plans", { plan_name: "Rules plan", tokens_per_hour: "7", tokens_per_month: "5000" });
  await create("tax-rules", { name: "Rules rule", rates: "VAT = 20", country: "FR" });
  // The rows whose lists carry the button forms left: a key to revoke, a staff user to enable, a failed job to
  // retry, a void invoice to reissue (a user to turn two-factor off for is flowForms', made before the walk).
  const key = await staff.submit("/console/api-keys", "/console/api-keys", {
    name: "Rules key",
    role: "support",
  });
  expect([key.status, key.location], "set-up: creating an API key").toEqual([303, "/console/api-keys"]);
  expect((await staff.get("/console/api-keys")).text, "set-up: the API key to revoke, listed").toMatch(
    /\/console\/api-keys\/[^/"]+\/revoke"/,
  );
  await createStaffUser({
    ctx,
    input: { email: "rules-off@example.com", role: "support", password: PASSWORD },
  });
  const off = /\/console\/settings\/staff\/([^/"]+)\/disable">Disable<span class="skip"> rules-off@/.exec(
    (await staff.get("/console/settings")).text,
  )?.[1];
  expect(off, "set-up: the staff user to disable, listed on the settings page").toBeDefined();
  const disabled = await staff.submit(
    `/console/settings/staff/${off}/disable`,
    `/console/settings/staff/${off}/disable`,
  );
  expect(disabled.status, "set-up: disabling a staff user").toBe(303);
  expect(
    (await staff.get("/console/settings")).text,
    "set-up: the disabled user to enable, listed",
  ).toContain(`/console/settings/staff/${off}/enable"`);
  await h.db.insertInto("job").values({ kind: "invoice.email", payload: "{}", status: "failed" }).execute();
  expect((await staff.get("/console/jobs")).text, "set-up: the failed job to retry, listed").toMatch(
    /action="\/console\/jobs\/[^/"]+\/retry"/,
  );
  const bea = await portalCustomer(h.handle, {
    email: "rules-bea@example.com",
    name: "Bea",
    dueDate: "2099-01-01",
  });
  const voidAt = `/console/invoices/${bea.unpaidInvoiceId}/void`;
  expect((await staff.submit(voidAt, voidAt, { reason: "rules" })).status, "set-up: voiding an invoice").toBe(
    303,
  );
}, 60_000);
afterAll(() => h?.close());

/** Creates a pricing row through its console form. */
async function create(slug: string, fields: Record<string, string>): Promise<void> {
  const base = `/console/pricing/${slug}`;
  const answer = await staff.submit(`${base}/new`, base, fields);
  expect(answer.location, `set-up: creating a row of ${slug} answered ${answer.status}`).toBe(
    `${base}?notice=created`,
  );
}

/** The route pattern of a path, ids made alike: one page of each kind is walked. */
const kindOf = (path: string) => {
  const [route = "", query = ""] = path.split("?");
  const keys = [...new URLSearchParams(query).keys()].sort().join(",");
  return `${route.replace(/\/[^/]*\d[^/]*/g, "/:id")}?${keys}`;
};

/** A route's pattern (`/console/jobs/:id/retry`) as a test of a form's action. */
const routeOf = (url: string) => new RegExp(`^${url.replace(/:[^/]+/g, "[^/?]+")}(\\?|$)`);
const EMBEDDED = !process.env["DATABASE_URL"];

const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
const unescapeAmp = (s: string) => s.replaceAll("&amp;", "&");

/** The post forms of a page with their typed fields. */
function formsOf(page: string, html: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const [, open = "", inner = ""] = match;
    if ((attr(open, "method") ?? "get").toLowerCase() !== "post") continue;
    const action = unescapeAmp(attr(open, "action") ?? page);
    const fields = new Set<string>();
    for (const [tag] of inner.matchAll(/<input\b[^>]*>/g)) {
      const name = attr(tag, "name");
      if (name && TYPED.has(attr(tag, "type") ?? "text")) fields.add(name);
    }
    for (const [tag] of inner.matchAll(/<textarea\b[^>]*>/g)) {
      const name = attr(tag, "name");
      if (name) fields.add(name);
    }
    forms.push({ page, action, fields: [...fields] });
  }
  return forms;
}

/** Every form with a typed field reachable from `starts` by GET links of the same face. */
async function walk(client: PageClient, starts: string[], face: string): Promise<Form[]> {
  // Up to three pages of a kind: one invoice may have no payment to refund, another one.
  const seen = new Map<string, number>();
  const visited = new Set<string>();
  const queue = [...starts];
  const forms = new Map<string, Form>();
  const due = (path: string) => !visited.has(path) && (seen.get(kindOf(path)) ?? 0) < 3;
  while (queue.length > 0) {
    const path = queue.shift()!;
    const kind = kindOf(path);
    if (!due(path)) continue;
    if (visited.size >= MAX_PAGES) {
      const left = [...new Set([path, ...queue.filter(due)])];
      throw new Error(
        `the walk from ${starts} hit its limit of ${MAX_PAGES} pages with ${left.length} left: ${left}`,
      );
    }
    visited.add(path);
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
    const answer = await client.get(path);
    if (answer.status !== 200 || !answer.type.startsWith("text/html")) continue;
    for (const form of formsOf(path, answer.text)) forms.set(`${kindOf(form.action)} ${form.fields}`, form);
    for (const [, href = ""] of answer.text.matchAll(/href="([^"#]+)"/g)) {
      const next = unescapeAmp(href);
      if (next.startsWith(`/${face}`) && !SKIP.test(next) && !visited.has(next)) queue.push(next);
    }
  }
  return [...forms.values()];
}

/** The form's fields as the page draws them (hidden, text, selects' chosen option), `field` replaced. */
function formBody(html: string, form: Form, field: string, encoded: string): string {
  const match = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].find(
    ([, open = ""]) => unescapeAmp(attr(open, "action") ?? form.page) === form.action,
  );
  const inner = match?.[2] ?? "";
  const fields = new URLSearchParams(hiddenOf(html));
  for (const [tag] of inner.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, "name");
    const type = attr(tag, "type") ?? "text";
    if (!name || name === field || type === "submit" || type === "password") continue;
    if ((type === "checkbox" || type === "radio") && !/\schecked\b/.test(tag)) continue;
    if (!fields.has(name)) fields.append(name, unescapeAmp(attr(tag, "value") ?? ""));
  }
  for (const [, open = "", options = ""] of inner.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const name = attr(open, "name");
    const chosen =
      /<option\b[^>]*\sselected\b[^>]*>/.exec(options)?.[0] ?? /<option\b[^>]*>/.exec(options)?.[0];
    if (name && name !== field && chosen) fields.set(name, unescapeAmp(attr(chosen, "value") ?? ""));
  }
  return `${fields.toString()}&${encodeURIComponent(field)}=${encoded}`;
}

/** A client with the forms it walked (or drew) on its own session. */
interface Walked {
  client: PageClient;
  forms: Form[];
}

/** A staff user's browser, logged in with PASSWORD. */
async function staffUser(email: string): Promise<ConsoleClient> {
  const ctx = systemContext(h.handle, h.config, pino({ level: "silent" }), actors.cli());
  await createStaffUser({ ctx, input: { email, role: "support", password: PASSWORD } });
  return ConsoleClient.logIn(h.server.url, email, PASSWORD);
}

/**
 * The forms a step draws: the second factor's set-up (drawn by the POST that starts it), the code asked at a
 * login once it is on, and the pages the portal's mailed links open (after their request, from the mail). A
 * link's page has no typed field (its token is hidden, a password only bounded): it is reached, sent nothing.
 */
async function flowForms(): Promise<Walked[]> {
  // Set-up begun and left so: every drawing of the form begins it again, before the rows are compared. The
  // start answers 303 to the account page, which shows the set-up waiting (its form and key).
  const enrolling = await staffUser("rules-enrol@example.com");
  const start = async () => {
    const started = await enrolling.submit("/console/account", "/console/account/totp/start");
    expect(started.status, "set-up: starting a two-factor set-up").toBe(303);
    return (await enrolling.get("/console/account")).text;
  };
  const confirm = formsOf("/console/account", await start())
    .filter((form) => ["/console/account/totp/confirm", "/console/account/totp/cancel"].includes(form.action))
    .map((form) => ({ ...form, draw: start }));

  // Set-up finished, so a password login stops at the code.
  const enrolled = await staffUser("rules-2fa@example.com");
  const begin = await enrolled.submit("/console/account", "/console/account/totp/start");
  expect(begin.status, "set-up: starting the two-factor set-up to finish").toBe(303);
  const begun = await enrolled.get("/console/account");
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(begun.text)?.[1] ?? "";
  expect(secret, "set-up: the two-factor key shown on the account page").not.toBe("");
  const confirmed = await enrolled.submit("/console/account", "/console/account/totp/confirm", {
    code: await totpCodeAt(secret, new Date()),
  });
  expect(confirmed.location, "set-up: confirming the two-factor code").toBe(
    "/console/account?notice=totp_on",
  );
  const pending = new PageClient(h.server.url);
  const password = await pending.submit("/console/login", "/console/login", {
    email: "rules-2fa@example.com",
    password: PASSWORD,
  });
  expect(password.location, "set-up: a two-factor user's password login asks for the code").toBe(
    "/console/login/code",
  );

  const flows: Walked[] = [
    { client: enrolling, forms: confirm },
    { client: pending, forms: await walk(pending, ["/console/login/code"], "console/login/code") },
  ];
  for (const link of await mailedLinks()) {
    const client = new PageClient(h.server.url);
    flows.push({ client, forms: await walk(client, [link], link.slice(1, link.indexOf("?"))) });
  }
  return flows;
}

/** A login link and a reset link for Ada: asked for on their forms, mailed by the outbox, read from the mail. */
async function mailedLinks(): Promise<string[]> {
  const anonymous = new PageClient(h.server.url);
  for (const path of ["/portal/login/link", "/portal/password-reset"])
    expect(
      (await anonymous.submit(path, path, { email: adaEmail })).status,
      `set-up: asking at ${path}`,
    ).toBe(200);
  const sent: PortalMessage[] = [];
  const ctx = systemContext(h.handle, h.config, pino({ level: "silent" }), actors.system("jobs"));
  const outbox = runnerFor(ctx, "outbox", {
    portalMailer: { send: async (message) => void sent.push(message) },
  });
  await outbox.drain();
  await outbox.stop();
  const links = sent.map((message) => /\/portal\/[^\s?]+\?token=\S+/.exec(message.text)?.[0] ?? "");
  expect(
    links.map((link) => link.split("?")[0]),
    "set-up: the links mailed",
  ).toEqual(["/portal/login/link/open", "/portal/password-reset/new"]);
  return links;
}

async function refusesEach(client: PageClient, forms: Form[]): Promise<string[]> {
  const failures: string[] = [];
  for (const form of forms.filter((f) => f.fields.length > 0)) {
    const page = form.draw ? await form.draw() : (await client.get(form.page)).text;
    const before = await everyRow(h.db);
    for (const field of form.fields)
      for (const { what, encoded } of BAD) {
        const answer = await client.request("POST", form.action, formBody(page, form, field, encoded));
        const said = textOf(answer.text, `${field}-error`);
        const where = `${form.action} ${field} (${what})`;
        if (answer.status !== 400) failures.push(`${where}: ${answer.status}`);
        else if (!answer.text.includes(`action="${form.action}"`))
          failures.push(`${where}: not the form again`);
        else if (!said) failures.push(`${where}: nothing beside the field`);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job.
        else if (/[\u0000\u0007\u202E\uD800-\uDFFF\uFFFD]/.test(answer.text))
          failures.push(`${where}: echoed`);
      }
    // A session's last use is recorded on every request it makes, whatever the form: not the form's writing.
    const written = changed(before, await everyRow(h.db)).filter((table) => table !== "web_session");
    if (written.length > 0) failures.push(`${form.action}: wrote ${written.join(", ")}`);
  }
  return failures;
}

describe("every text field of every form", () => {
  it("is refused beside the field for a NUL, a BEL, a bidi override, a lone surrogate and one over the bound, writing nothing", async () => {
    // First: its two-factor user's row carries the console's turn-off form.
    const flows = await flowForms();
    const consoleForms = await walk(staff, ["/console"], "console");
    const portalForms = await walk(customer, ["/portal"], "portal");
    const publicForms = [
      ...(await walk(new PageClient(h.server.url), ["/console/login"], "console/login")),
      ...(await walk(
        new PageClient(h.server.url),
        ["/portal/login", "/portal/login/link", "/portal/password-reset"],
        "portal",
      )),
    ];
    const all = [...consoleForms, ...portalForms, ...publicForms, ...flows.flatMap((flow) => flow.forms)];
    // Every page POST route was reached by the walk, or is one UNWALKED names.
    const pagePosts = h.server.app.routeTable.filter(
      (r) => r.method === "POST" && /^\/(console|portal)(\/|$)/.test(r.url),
    );
    const unreached = pagePosts
      .map((r) => r.url)
      .filter((url) => !all.some((form) => routeOf(url).test(form.action)));
    expect(unreached.sort()).toEqual(Object.keys(UNWALKED).sort());
    // And each named one, drawn where it is drawn, still has no typed field: the reason it is named holds.
    const drawn = (await drawUnwalked()).flatMap(({ path, html }) => formsOf(path, html));
    const untrue = Object.entries(UNWALKED).flatMap(([url, { embeddedOnly }]) => {
      const its = drawn.filter((form) => routeOf(url).test(form.action));
      if (its.length === 0) return embeddedOnly && !EMBEDDED ? [] : [`${url}: not drawn`];
      return its.filter((form) => form.fields.length > 0).map((form) => `${url}: typed ${form.fields}`);
    });
    expect(untrue).toEqual([]);

    const failures = [
      ...(await refusesEach(staff, consoleForms)),
      ...(await refusesEach(customer, portalForms)),
      ...(await refusesEach(new PageClient(h.server.url), publicForms)),
    ];
    for (const { client, forms } of flows) failures.push(...(await refusesEach(client, forms)));
    expect(failures).toEqual([]);
  }, 240_000);
});
