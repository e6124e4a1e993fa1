import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changed, everyRow } from "../../test/helpers/every-row.ts";
import { hiddenOf, PageClient } from "../../test/helpers/page-client.ts";
import { type SolusioHarness, startSolusioHarness } from "../../test/helpers/solusio-harness.ts";
import { systemContext } from "../app/database.ts";
import { actors } from "../kernel/actor.ts";
import { MAX_BODY_TEXT } from "../kernel/clean-text.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { ConsoleClient, textOf } from "./console/customer-test-client.ts";
import { PortalClient, portalCustomer } from "./portal/testing/portal-fixtures.ts";

// One table of text rules, every form held to it (docs/security.md, "Input"). The forms are not listed by
// hand: the pages are walked from the console's and the portal's home pages (and the public login pages),
// each form with a field a person types into is found, and each such field is sent what the rules refuse.
// Every form route declared reshowsForm must have been reached, so a new form is covered, or this fails
// naming it. Each refusal must be the form again (400, the message beside that field), with no row of
// any table written (the form's one-time key, when it has one, stays unspent with them).

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
 * Form routes the walk cannot reach by links, each for its reason; the list is exact, so a new form the walk
 * misses fails the test until it is reached or named here.
 */
const NOT_WALKED: Record<string, string> = {
  "/console/login/code": "the second factor's step, after a password login of a staff user with one",
  "/console/account/totp/confirm": "drawn by the POST that starts a second factor's set-up",
  "/portal/login/link/open": "opened from an e-mailed link",
  "/portal/password-reset/new": "opened from an e-mailed link",
  // TODO(forms): make one of each in beforeAll, so their edit forms are walked too.
  "/console/pricing/client-groups/:key": "no client group to edit in this test's database",
  "/console/pricing/discounts/:key": "no discount to edit in this test's database",
  "/console/pricing/plans/:key": "no plan price to edit in this test's database",
  "/console/pricing/tax-rules/:key": "no tax rule to edit in this test's database",
};

interface Form {
  page: string;
  action: string;
  fields: string[];
}

let h: SolusioHarness;
let staff: ConsoleClient;
let customer: PortalClient;

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
  customer = new PortalClient(h.server.url);
  await customer.logIn(ada.email);
}, 60_000);
afterAll(() => h?.close());

/** The route pattern of a path, ids made alike: one page of each kind is walked. */
const kindOf = (path: string) => {
  const [route = "", query = ""] = path.split("?");
  const keys = [...new URLSearchParams(query).keys()].sort().join(",");
  return `${route.replace(/\/[^/]*\d[^/]*/g, "/:id")}?${keys}`;
};

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
  while (queue.length > 0 && visited.size < 200) {
    const path = queue.shift()!;
    const kind = kindOf(path);
    if (visited.has(path) || (seen.get(kind) ?? 0) >= 3) continue;
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

async function refusesEach(client: PageClient, forms: Form[]): Promise<string[]> {
  const failures: string[] = [];
  for (const form of forms.filter((f) => f.fields.length > 0)) {
    const page = await client.get(form.page);
    const before = await everyRow(h.db);
    for (const field of form.fields)
      for (const { what, encoded } of BAD) {
        const answer = await client.request("POST", form.action, formBody(page.text, form, field, encoded));
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
    const all = [...consoleForms, ...portalForms, ...publicForms];
    // Every form route that shows itself again was reached by the walk.
    const declared = h.server.app.routeTable.filter((r) => r.method === "POST" && r.reshowsForm);
    const unreached = declared
      .map((r) => r.url)
      .filter((url) => {
        const route = new RegExp(`^${url.replace(/:[^/]+/g, "[^/?]+")}(\\?|$)`);
        return !all.some((form) => route.test(form.action));
      });
    expect(unreached.sort()).toEqual(Object.keys(NOT_WALKED).sort());

    const failures = [
      ...(await refusesEach(staff, consoleForms)),
      ...(await refusesEach(customer, portalForms)),
      ...(await refusesEach(new PageClient(h.server.url), publicForms)),
    ];
    expect(failures).toEqual([]);
  }, 120_000);
});
