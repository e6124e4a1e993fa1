import { PageClient as BaseClient } from "../../../test/helpers/page-client.ts";
import { pino } from "pino";
import { systemContext } from "../../app/database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import type { StaffRole } from "../../db/schema.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";

// For the console money pages' tests (console-pricing/billing/invoices *.db.test.ts): the page client and
// staff users to log in as.

export const STAFF_PASSWORD = "console money pages password";

/** The console's client (test/helpers/page-client.ts); logIn defaults to STAFF_PASSWORD. */
export class PageClient extends BaseClient {
  logIn(email: string, password = STAFF_PASSWORD): Promise<this> {
    return this.logInTo("console", email, password);
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
