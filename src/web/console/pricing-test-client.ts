import { pino } from "pino";
import { systemContext } from "../../app/server.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import type { StaffRole } from "../../db/schema.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";

// For the console money pages' tests (console-pricing/billing/invoices *.db.test.ts): a client that keeps
// cookies and sends forms with the page's CSRF token, as a browser does, and staff users to log in as.

export const STAFF_PASSWORD = "console money pages password";

export class PageClient {
  cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, form?: Record<string, string>) {
    const response = await fetch(this.baseUrl + path, {
      method,
      redirect: "manual",
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair!.indexOf("=");
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (value === "" || /Expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const type = response.headers.get("content-type") ?? "";
    const body = Buffer.from(await response.arrayBuffer());
    return {
      status: response.status,
      location: response.headers.get("location"),
      type,
      body,
      text: type.startsWith("text/") ? body.toString("utf8") : "",
    };
  }

  get(path: string) {
    return this.request("GET", path);
  }

  /** GETs `page`, then posts `form` to `action` with that page's CSRF token. */
  async submit(page: string, action: string, form: Record<string, string>) {
    const got = await this.get(page);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(got.text)?.[1] ?? "";
    return this.request("POST", action, { _csrf: csrf, ...form });
  }

  async logIn(email: string, password = STAFF_PASSWORD): Promise<this> {
    const r = await this.submit("/console/login", "/console/login", { email, password });
    if (r.status !== 303 || r.location !== "/console") throw new Error(`login failed: ${r.status}`);
    return this;
  }
}

export function cliContext(handle: DatabaseHandle, overrides: Record<string, string> = {}): ServiceContext {
  return systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent", ...overrides }),
    pino({ level: "silent" }),
    actors.cli(),
  );
}

/** One staff user per role, e-mail `<role>@example.com`, all with STAFF_PASSWORD. */
export async function createStaffPerRole(
  handle: DatabaseHandle,
  roles: readonly StaffRole[] = ["owner", "billing", "support"],
): Promise<void> {
  const ctx = cliContext(handle);
  for (const role of roles)
    await createStaffUser({
      ctx,
      input: { email: `${role}@example.com`, name: `${role} user`, role, password: STAFF_PASSWORD },
    });
}

/** The text of a page without tags, spaces collapsed: what a person reads. */
export function textOf(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, " ")
    .trim();
}
