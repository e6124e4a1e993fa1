import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteEntry } from "../../src/http/access.ts";
import { PageClient } from "../helpers/page-client.ts";
import { type RawAnswer, rawRequest } from "../helpers/raw-http.ts";
import { TEST_ADMIN_KEY } from "../helpers/test-server.ts";
import { totpCodeAt } from "../../src/services/staff/totp.ts";
import type { PortalTokenPurpose } from "../../src/services/portal-accounts/portal-tokens.ts";
import {
  type DrawnForm,
  formsOf,
  linksOf,
  type PageRoute,
  patternOf,
  queryNamesOf,
  routeOf,
} from "./page-crawl.ts";
import {
  FIELD_VALUES,
  type Fields,
  formBody,
  ODD_QUERIES,
  oddBodies,
  QUERY_VALUES,
  randomPieces,
  randomValues,
  SEGMENTS,
  withField,
} from "./page-fuzz-inputs.ts";
import {
  BODY_LIMIT,
  CUSTOMER,
  mailedLink,
  OWNER,
  ownerTotp,
  ownerTotpOff,
  type PageFuzzWorld,
  PORTAL_PASSWORD,
  portalPasswordHash,
  restoreLogins,
  STAFF_PASSWORD,
  startPageFuzzWorld,
  TWO_FACTOR,
  tokenLive,
  twoFactorCode,
} from "./page-fuzz-world.ts";

// Bad input to a page is a page, always: every console and portal route of the live route table (so a new
// page is fuzzed without being listed here) is sent, as the actor it serves (an owner's session for the
// console, a customer's for the portal, none for the login and link pages, a staff user half-way through a
// two-factor login for the code form), its real address with each path segment and query value spoilt, and
// each form it draws, with that page's CSRF token and one-time key, spoilt one field at a time or sent in a
// shape no browser of ours sends. No answer may be a 5xx, every 4xx must be one of our HTML pages, and no
// answer may echo a control character or carry a secret (the admin API key, SolusIO's token, Stripe's keys,
// a TOTP secret, a session token). Three forms no link's page draws are come by as a person comes by them:
// the two-factor enrolment's from the answer to starting one (its right code computed from the secret shown),
// the login link's and the password reset's from the page their e-mail links to, asked for on the portal's
// pages and mailed by the link e-mail job; each is drawn anew when a sending spent what it stood on. Only a
// sending the server took (its redirect) may: a refused one leaves the token unspent, the enrolment waiting
// and the password as it was, and no answer shows the form's token or secret but in its own hidden field.
// The real addresses and the forms are found by walking the pages' own links from each face's pages without
// parameters (a login page opened as the gate sends a browser there, with its `next`), a link's query kept
// while one of its values is spoilt. Seeded; runs on PGlite and on PostgreSQL.

/** Routes not fuzzed, and why. Each must be in the route table (checked), so the list cannot go stale. */
const SKIPPED: Record<string, string> = {
  "POST /console/backup":
    "takes and streams a whole backup of the embedded database on every valid sending (console-backup.db.test.ts)",
};

/**
 * POST routes whose form no page reachable by links draws, and why; they are still sent every spoilt body,
 * with the CSRF token of the face's home page, over the fields below (checked against the table as well).
 */
const FORMLESS: Record<string, { why: string; fields: [string, string][] }> = {
  "POST /portal/control-panel": {
    why: "the world's invoices are long past due, so dunning has suspended its customer, whose overview explains why the control panel cannot open instead of drawing the button",
    fields: [],
  },
};

/**
 * A form drawn otherwise than by a page a link opens, as a person comes by it: what it holds that is theirs
 * alone, what they type into it now, and whether what it stands on is still as drawn.
 */
interface Drawing {
  form: DrawnForm;
  /** In no answer to its sendings but in its own hidden field: a mailed token, an enrolment's TOTP secret. */
  secret: string;
  /** What a person types into the fields it leaves empty, as of now (a TOTP code changes). */
  typed(): Promise<Record<string, string>>;
  /** Its token unspent, its enrolment waiting, nothing written: what a refused sending must leave. */
  intact(): Promise<boolean>;
}

/**
 * Routes whose form is drawn by the answer to a POST, or by a page only an e-mail links to: each drawn the way a
 * person comes by it, anew whenever a sending spent what it stood on (checked to be one the server accepted).
 */
const DRAWN_BY: Record<string, () => Promise<Drawing>> = {
  // Drawn by the answer to starting an enrolment; the right code is computed from the secret it shows.
  "POST /console/account/totp/confirm": () => enrolmentForm("/console/account/totp/confirm"),
  // Drawn beside it on the account page while the set-up waits (since 2026-12-07).
  "POST /console/account/totp/cancel": () => enrolmentForm("/console/account/totp/cancel"),
  // Drawn by the page the e-mailed link opens: the link is asked for on its page, and the e-mail sent.
  "POST /portal/login/link/open": () => mailedForm("magic_link", "/portal/login/link"),
  "POST /portal/password-reset/new": () => mailedForm("password_reset", "/portal/password-reset"),
};

/** GET routes with a parameter that no page reachable by links links to, and why (checked as above). */
const UNLINKED: Record<string, string> = {};

/** Who a page is sent as: the actor its route serves, or, for the routes below, someone more particular. */
type Actor = PageRoute["access"] | "two-factor";
/** Routes (both methods) sent as another actor than their access names, and why. */
const ACTOR_OF: Record<string, Actor> = {
  // Public, but drawn only for a browser whose password login waits for its second factor.
  "/console/login/code": "two-factor",
};
const actorOf = (route: PageRoute): Actor => ACTOR_OF[route.url] ?? route.access;

// Searching deeper: FUZZ_RUNS=50 FUZZ_SEED=7 npx vitest run test/fuzz/page-fuzz.db.test.ts
const RUNS = Number(process.env["FUZZ_RUNS"] ?? 3);
const SEED = Number(process.env["FUZZ_SEED"] ?? 20261205);
const seedOf = (key: string) => [...key].reduce((s, c) => (s * 31 + c.charCodeAt(0)) | 0, SEED);

let h: PageFuzzWorld;
let routes: PageRoute[];
const clients: Record<Actor, PageClient> = {} as never;
/** A real path for each route (`METHOD pattern`), found from the pages' links and forms. */
const realPath = new Map<string, string>();
/** The query of the link a real path was found from, as drawn (a refund's page names its payment). */
const realQuery = new Map<string, string>();
const forms = new Map<string, DrawnForm>();
const queryNames = new Map<string, Set<string>>();
/**
 * The address a person first opens a login page at, by route: the login page as the gate sends a browser
 * asking for a page without a session (its `next` carried by the form), and the code page as the password
 * login leaves a two-factor user. The crawl starts these routes there.
 */
const entries = new Map<string, string>();
/** Requests sent per route, for the check that every route was exercised. */
const sent = new Map<string, number>();
const failures: string[] = [];

/** Node's header limit (maxHeaderSize in src/http/protection.ts), less room for the request's other lines. */
const MAX_HEAD = 16 * 1024 - 512;
const keyOf = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
/** The world's portal customer's status when the pages were crawled. */
let customerStatus: string;
const faceOf = (path: string) => (path.startsWith("/portal") ? "portal" : "console");

async function logIn(actor: Actor, again = true): Promise<void> {
  const client = new PageClient(h.server.url);
  try {
    if (actor === "staff") await client.logInTo("console", OWNER, STAFF_PASSWORD);
    if (actor === "customer") await client.logInTo("portal", CUSTOMER, PORTAL_PASSWORD);
    if (actor === "two-factor") {
      const gate = entries.get("GET /console/login") ?? "/console/login";
      const next = new URLSearchParams(gate.split("?")[1]).get("next");
      const login = { email: TWO_FACTOR, password: STAFF_PASSWORD, ...(next ? { next } : {}) };
      const answer = await client.submit(gate, "/console/login", login);
      if (answer.status !== 303 || !answer.location?.startsWith("/console/login/code"))
        throw new Error(`login of ${TWO_FACTOR} answered ${answer.status} ${answer.location}`);
      if (!entries.has("GET /console/login/code")) entries.set("GET /console/login/code", answer.location);
    }
  } catch (error) {
    if (!again) throw error;
    await restoreLogins(h);
    return logIn(actor, false);
  }
  clients[actor] = client;
}

/** The page each actor's session opens, answering 200 while that session lasts. */
const SESSION_PAGE: Record<Exclude<Actor, "public">, string> = {
  staff: "/console",
  customer: "/portal",
  "two-factor": "/console/login/code",
};

/** The session is still there (a spoilt body may have been taken as a valid logout); else log in again. */
async function ensureSession(actor: Actor): Promise<void> {
  if (actor === "public") return logIn("public");
  if ((await clients[actor].get(SESSION_PAGE[actor])).status !== 200) await logIn(actor);
}

beforeAll(async () => {
  h = await startPageFuzzWorld();
  routes = (h.server.app as unknown as { routeTable: RouteEntry[] }).routeTable
    .filter((r) => /^\/(console|portal)(\/|$)/.test(r.url) && r.method !== "HEAD")
    .map((r) => ({ method: r.method, url: r.url, access: r.access as PageRoute["access"] }));
  await findGates();
  for (const actor of ["staff", "customer", "public", "two-factor"] as const) await logIn(actor);
  await crawl();
  customerStatus = (
    await h.db.selectFrom("customer").select("status").where("email", "=", CUSTOMER).executeTakeFirstOrThrow()
  ).status;
  for (const [key, draw] of Object.entries(DRAWN_BY)) {
    const { form } = await draw();
    forms.set(key, form);
    realPath.set(key, form.action);
  }
}, 120_000);
afterAll(async () => {
  await h?.close();
});

/**
 * The owner's enrolment started from their account page, as they would start it (their two-factor login
 * turned off first, where a valid sending turned it on): the confirm form its answer draws, and the code their
 * app would show for the secret it shows.
 */
async function enrolmentForm(action: string): Promise<Drawing> {
  if ((await ownerTotp(h)).on) await ownerTotpOff(h);
  // The start answers 303 to the account page, which shows the waiting set-up (since 2026-12-07).
  const started = await clients.staff.submit("/console/account", "/console/account/totp/start");
  if (started.status !== 303) throw new Error(`starting an enrolment answered ${started.status}`);
  const answer = await clients.staff.get("/console/account");
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(answer.text)?.[1];
  const form = formsOf(answer.text, "/console/account").find((f) => f.action === action);
  if (answer.status !== 200 || !secret || !form)
    throw new Error(
      `the account page after starting an enrolment answered ${answer.status}, no set-up shown`,
    );
  return {
    form,
    secret,
    typed: async () => ({ code: await totpCodeAt(secret, new Date()) }),
    intact: async () => {
      const now = await ownerTotp(h);
      return !now.on && now.secret === secret;
    },
  };
}

/**
 * A link of `purpose` asked for on its page (`asked`) for the customer, its e-mail sent, and the page the link
 * opens: the form it draws carries the mailed token, which a refused sending leaves unspent (and a refused
 * reset leaves the password as it was).
 */
async function mailedForm(purpose: PortalTokenPurpose, asked: string): Promise<Drawing> {
  const answer = await clients.public.submit(asked, asked, { email: CUSTOMER });
  if (answer.status !== 200) throw new Error(`asking for a ${purpose} link answered ${answer.status}`);
  const link = await mailedLink(h, purpose);
  const page = await clients.public.get(link);
  const form = formsOf(page.text, link).find((f) => f.action === link.split("?")[0]);
  const token = form?.fields.find(([n]) => n === "token")?.[1];
  if (!form || !token) throw new Error(`the ${purpose} link's page answered ${page.status} without its form`);
  const password = await portalPasswordHash(h);
  return {
    form,
    secret: token,
    typed: async () => ({}),
    intact: async () =>
      (await tokenLive(h, token)) &&
      (purpose !== "password_reset" || (await portalPasswordHash(h)) === password),
  };
}

/** Each face's login page as its gate draws it for the first page without parameters but its home. */
async function findGates(): Promise<void> {
  const gets = routes.filter((r) => r.method === "GET");
  for (const route of gets) {
    if (route.access === "public" || route.url.includes(":")) continue;
    const login = `GET ${route.url.startsWith("/portal") ? "/portal" : "/console"}/login`;
    if (entries.has(login)) continue;
    const answer = await new PageClient(h.server.url).get(route.url);
    const target = answer.location?.includes("?next=") && routeOf(gets, answer.location.split("?")[0]!);
    if (target && keyOf(target) === login) entries.set(login, answer.location!);
  }
}

/** Walks each face's links from its pages without parameters; records real paths, forms and query names. */
async function crawl(): Promise<void> {
  const gets = routes.filter((r) => r.method === "GET");
  const posts = routes.filter((r) => r.method === "POST");
  const queue = gets
    .filter((r) => !r.url.includes(":"))
    .map((r) => ({ route: r, path: entries.get(keyOf(r)) ?? r.url }));
  const crawled = new Set(queue.map((q) => q.path));
  for (const { route, path } of queue) {
    const [bare, query = ""] = path.split("?") as [string, string?];
    realPath.set(keyOf(route), bare);
    realQuery.set(keyOf(route), query);
  }
  for (let i = 0; i < queue.length; i++) {
    const { route, path } = queue[i]!;
    const answer = await clients[actorOf(route)].get(path);
    if (!answer.type.startsWith("text/html")) continue;
    const names = queryNames.get(keyOf(route)) ?? new Set();
    for (const name of queryNamesOf(answer.text, patternOf(route.url))) names.add(name);
    queryNames.set(keyOf(route), names);
    for (const link of linksOf(answer.text)) {
      const [linkPath, query = ""] = link.split("?") as [string, string?];
      const target = routeOf(gets, linkPath);
      if (!target) continue;
      if (!realPath.has(keyOf(target))) {
        realPath.set(keyOf(target), linkPath);
        realQuery.set(keyOf(target), query);
      }
      // Each distinct link once: a page's query may draw another form (a lock or a suspension, a refund).
      const visits = queue.filter((q) => q.route === target).length;
      if (!crawled.has(link) && visits < 4) {
        crawled.add(link);
        queue.push({ route: target, path: link });
      }
    }
    for (const form of formsOf(answer.text, path)) {
      const target = routeOf(posts, form.action);
      if (!target || forms.has(keyOf(target))) continue;
      forms.set(keyOf(target), form);
      realPath.set(keyOf(target), form.action);
    }
  }
}

function check(answer: RawAnswer, path: string, what: string, own?: string): void {
  const face = faceOf(path);
  if (answer.status >= 500) throw new Error(`${what} → ${answer.status} ${answer.text.slice(0, 400)}`);
  const type = String(answer.headers["content-type"] ?? "");
  const textual = type === "" || type.startsWith("text/") || type.includes("json");
  const { "set-cookie": _cookies, ...headers } = answer.headers;
  const sessions = Object.values(clients).flatMap((c) =>
    c.cookies
      .all()
      .filter(({ name }) => name === "tb_console" || name === "tb_portal")
      .map(({ value }) => value),
  );
  const keys = [
    TEST_ADMIN_KEY,
    h.emulator.adminToken,
    h.stripe.secretKey,
    h.stripe.webhookSecret,
    h.totpSecret,
  ];
  for (const secret of [...keys, ...sessions])
    if ((textual && answer.text.includes(secret)) || JSON.stringify(headers).includes(secret))
      throw new Error(`${what} → ${answer.status} carries a secret`);
  // A drawn form's own secret (a mailed token, an enrolment's TOTP secret): in no answer to its sendings but in
  // the form drawn again for the person who sent it (a reset's password refused), in its hidden token field.
  if (own) {
    // The set-up's key is shown to the person setting up on the account page until confirmed or cancelled
    // (since 2026-12-07), as the key and as the otpauth link: there it is theirs, as the hidden token is.
    const shown = answer.text
      .split(`name="token" value="${own}"`)
      .join("")
      .split(`id="totp-secret">${own}<`)
      .join("")
      .replace(/otpauth:\/\/[^"<\s]*/g, "");
    if (shown.includes(own) || JSON.stringify(headers).includes(own))
      throw new Error(`${what} → ${answer.status} carries the form's token or secret`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
  if ((textual && control.test(answer.text)) || control.test(String(answer.headers.location ?? "")))
    throw new Error(`${what} → ${answer.status} echoes a control character`);
  if (answer.status < 400) return;
  if (!type.startsWith("text/html") || !answer.text.includes(`· tokenbill ${face}</title>`))
    throw new Error(`${what} → ${answer.status} is not a page of ours: ${type} ${answer.text.slice(0, 200)}`);
}

async function send(
  route: PageRoute,
  path: string,
  what: string,
  body?: { type?: string; body: string | Buffer },
  own?: string,
): Promise<RawAnswer | undefined> {
  const client = clients[actorOf(route)];
  const cookie = client.cookies.headerFor(path);
  sent.set(keyOf(route), (sent.get(keyOf(route)) ?? 0) + 1);
  try {
    const answer = await rawRequest(h.server.url, {
      method: route.method,
      path,
      headers: { cookie, ...(body?.type ? { "content-type": body.type } : {}) },
      body: body?.body,
    });
    // A request whose head is over Node's limit (16 KiB, src/http/protection.ts) is refused by the HTTP
    // parser before any request exists, so before anything knows it is a page: the wire-level 431 in the
    // envelope (answerClientError, protection.db.test.ts) is its answer. A link that long is no link of ours.
    if (path.length + cookie.length > MAX_HEAD) {
      if (answer.status !== 431 && answer.status !== 414) check(answer, path, `${keyOf(route)} ${what}`, own);
    } else check(answer, path, `${keyOf(route)} ${what}`, own);
    return answer;
  } catch (error) {
    failures.push((error as Error).message.slice(0, 800));
    return undefined;
  }
}

/** The route's real path with one segment replaced, for each parameter and each spoilt segment. */
function spoiltPaths(route: PageRoute, real: string): string[] {
  const query = realQuery.get(keyOf(route)) ? `?${realQuery.get(keyOf(route))}` : "";
  const realSegments = real.split("/");
  const params = route.url
    .split("/")
    .map((s, i) => (s.startsWith(":") ? i : -1))
    .filter((i) => i >= 0);
  const pieces = [...SEGMENTS, ...randomPieces(seedOf(keyOf(route)), RUNS)];
  return params.flatMap((at) =>
    pieces.map((piece) => realSegments.map((s, i) => (i === at ? piece : s)).join("/") + query),
  );
}

/**
 * Each query name the page's links and search forms use, `page`, `q`, and the fields of the form posted to the
 * same address (a login link's page reads its `token` from the query and posts it back), spoilt one at a time
 * and sent twice; then the whole query strings no link of ours makes. The rest of the query is the link's
 * own, so that a page drawn for the records its query names (a refund's confirmation) is reached.
 */
function spoiltQueries(route: PageRoute): string[] {
  const post = `POST ${route.url}`;
  const posted = (forms.get(post)?.fields ?? FORMLESS[post]?.fields ?? []).map(([n]) => n);
  const real = (realQuery.get(keyOf(route)) ?? "").split("&").filter((p) => p !== "");
  const linked = real.map((p) => decodeURIComponent(p.split("=")[0]!));
  const names = new Set(["page", "q", ...(queryNames.get(keyOf(route)) ?? []), ...linked, ...posted]);
  names.delete("_csrf");
  const values = [...QUERY_VALUES, ...randomPieces(seedOf(`${keyOf(route)}?`), RUNS)];
  /** The link's query with `name` left out and `pairs` after it. */
  const but = (name: string, pairs: string) =>
    [...real.filter((_, i) => linked[i] !== name), pairs].join("&");
  return [
    ...ODD_QUERIES.map((odd) => but("", odd)),
    ...[...names].flatMap((name) => {
      const n = encodeURIComponent(name);
      return [...values.map((v) => but(name, `${n}=${v}`)), but(name, `${n}=1&${n}=2`)];
    }),
  ];
}

/**
 * The hidden fields a page's form sends untouched: the CSRF token and any one-time key. A form page that sends
 * the browser to its login page means the session ended (a right two-factor code ends the half-way one):
 * the actor logs in again, as a person would, and opens the page anew.
 */
async function freshHidden(route: PageRoute, form: DrawnForm | undefined): Promise<Record<string, string>> {
  const page =
    form?.page ??
    (route.url.startsWith("/portal")
      ? route.access === "public"
        ? "/portal/login"
        : "/portal"
      : route.access === "public"
        ? "/console/login"
        : "/console");
  const actor = actorOf(route);
  let answer = await clients[actor].get(page);
  if (
    actor !== "public" &&
    answer.status === 303 &&
    /^\/(console|portal)\/login(\?|$)/.test(answer.location ?? "")
  ) {
    await logIn(actor);
    answer = await clients[actor].get(page);
  }
  const html = answer.text;
  const pageForm = formsOf(html, page).find((f) => f.action === form?.action) ?? formsOf(html, page)[0];
  const hidden: Record<string, string> = {};
  for (const [name, value] of pageForm?.fields ?? [])
    if (name === "_csrf" || name === "form_key") hidden[name] = value;
  return hidden;
}

/**
 * A form's fields made valid where the page left them empty: who is logging in, a password, a name, and for
 * the two-factor code form the code the user's app shows now.
 */
async function validFields(
  route: PageRoute,
  drawn: [string, string][],
  typed: Record<string, string> = {},
): Promise<Fields> {
  const portal = route.url.startsWith("/portal");
  const code = actorOf(route) === "two-factor" ? await twoFactorCode(h) : "";
  const fill: Record<string, string> = {
    code,
    email: portal ? CUSTOMER : OWNER,
    password: portal ? PORTAL_PASSWORD : STAFF_PASSWORD,
    current_password: portal ? PORTAL_PASSWORD : STAFF_PASSWORD,
    new_password: portal ? PORTAL_PASSWORD : STAFF_PASSWORD,
    name: "Fuzz Name",
    reason: "fuzz",
    amount: "1.00",
    ...typed,
  };
  return drawn.map(([name, value]) => [name, value === "" ? (fill[name] ?? "") : value]);
}

/**
 * A real path for a route no page links to: its parameters filled from a found route that shares the path up
 * to its last parameter (a form-only route under an invoice takes that invoice's id); "1" failing that.
 */
function borrowedPath(route: PageRoute): string {
  const segments = route.url.split("/");
  const last = segments.reduce((at, s, i) => (s.startsWith(":") ? i : at), -1);
  for (const [key, path] of realPath) {
    const other = key.split(" ")[1]!.split("/");
    const real = path.split("/");
    if (other.length > last && segments.slice(0, last + 1).every((s, i) => s === other[i]))
      return segments.map((s, i) => (i <= last ? real[i]! : s)).join("/");
  }
  return route.url.replace(/:\w+/g, "1");
}

/** Routes that end a session, or remove what the others name, go last. */
const LAST = (r: PageRoute) =>
  /logout/.test(r.url) ? 2 : /\/(delete|void|reissue|revoke|disable)$/.test(r.url) ? 1 : 0;

describe("no spoilt address or form of a page gives a 5xx or anything but our page", () => {
  it("lists as skipped or formless only routes the table has, and finds every other route's form", () => {
    const keys = routes.map(keyOf);
    for (const key of [...Object.keys(SKIPPED), ...Object.keys(FORMLESS), ...Object.keys(UNLINKED)])
      expect(keys).toContain(key);
    const posts = routes.filter((r) => r.method === "POST" && !SKIPPED[keyOf(r)] && !FORMLESS[keyOf(r)]);
    // FORMLESS's reason for the control panel holds: the world's customer is suspended.
    expect(customerStatus).toBe("suspended");
    expect(posts.filter((r) => !forms.has(keyOf(r))).map(keyOf)).toEqual([]);
    const params = routes.filter((r) => r.method === "GET" && r.url.includes(":"));
    expect(params.filter((r) => !realPath.has(keyOf(r)) && !UNLINKED[keyOf(r)]).map(keyOf)).toEqual([]);
  });

  it("answers every page route's spoilt addresses and forms with a page", async () => {
    const ordered = routes.filter((r) => !SKIPPED[keyOf(r)]).sort((a, b) => LAST(a) - LAST(b));
    for (const route of ordered) {
      await ensureSession(actorOf(route));
      const real = realPath.get(keyOf(route)) ?? borrowedPath(route);
      if (route.method === "GET") {
        for (const path of spoiltPaths(route, real)) await send(route, path, "path");
        for (const query of spoiltQueries(route)) await send(route, `${real}?${query}`, "query");
        continue;
      }
      const HIDDEN = new Set(["_csrf", "form_key"]);
      const draw = DRAWN_BY[keyOf(route)];
      let drawing = draw && (await draw());
      const form = forms.get(keyOf(route));
      const drawn = form?.fields ?? FORMLESS[keyOf(route)]?.fields ?? [];
      const valid = async () => (await validFields(route, drawn)).filter(([n]) => !HIDDEN.has(n));
      let base = await valid();
      // A one-time key is spent by a valid sending, and so is a half-way two-factor session: each sending
      // starts from the form's page again, and a code is good once, so it is made afresh too.
      const twoFactor = actorOf(route) === "two-factor";
      const oneTime = drawn.some(([n]) => n === "form_key") || twoFactor;
      let hidden: Record<string, string> = {};
      /** The form as last sent, or as drawn anew since. */
      let last: Fields = [];
      /** The form as sent now: its hidden fields as drawn (afresh where they are spent), then the others. */
      const fields = async (fresh: boolean): Promise<Fields> => {
        if (drawing) last = await validFields(route, drawing.form.fields, await drawing.typed());
        else {
          if (oneTime || fresh) hidden = await freshHidden(route, form);
          if (twoFactor) base = await valid();
          last = [...Object.entries(hidden), ...base];
        }
        return last;
      };
      /** Sends; a drawn form whose token or enrolment the sending used up is drawn anew for the next. */
      const sendForm = async (what: string, body: { type?: string; body: string | Buffer }) => {
        const answer = await send(route, real, what, body, drawing?.secret);
        if (drawing && draw && !(await drawing.intact())) {
          // Only a sending the server took (its redirect onwards) may spend a token or end an enrolment.
          if (answer && answer.status !== 303)
            failures.push(
              `${keyOf(route)} ${what} → ${answer.status} refused, yet spent what its form stood on`,
            );
          drawing = await draw();
          await fields(false);
        }
      };
      /** The form with `spoil` replacing one field's value. */
      const post = async (what: string, spoil?: [string, string | string[]]) => {
        const now = await fields(false);
        await sendForm(what, {
          type: "application/x-www-form-urlencoded",
          body: formBody(spoil ? withField(now, spoil[0], spoil[1]) : now),
        });
      };
      const first = await fields(true);
      for (const name of new Set(first.map(([n]) => n))) {
        // The CSRF token is checked before anything else reads the form: two wrong ones say all there is.
        const values =
          name === "_csrf"
            ? ["", "a\u0001b"]
            : [...FIELD_VALUES, ...randomValues(seedOf(`${keyOf(route)} ${name}`), RUNS)];
        for (const value of values)
          await post(`${name}=${JSON.stringify(value.slice(0, 40))}`, [name, value]);
        const current = String(last.find(([n]) => n === name)?.[1] ?? "");
        await post(`${name} twice`, [name, [current, `${current}x`]]);
      }
      const count = oddBodies([], BODY_LIMIT).length;
      for (let i = 0; i < count; i++) {
        const odd = oddBodies(await fields(i === 0), BODY_LIMIT)[i]!;
        await sendForm(odd.what, odd);
      }
    }
    expect(failures).toEqual([]);
    // Every route of the table but the skipped was sent requests.
    expect(routes.filter((r) => !SKIPPED[keyOf(r)] && !sent.get(keyOf(r))).map(keyOf)).toEqual([]);
  }, 600_000);
});
