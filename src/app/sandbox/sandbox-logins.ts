import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { writePrivateFile } from "../../db/data-dir-lock.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { setPortalPassword } from "../../services/portal-accounts/portal-accounts.ts";
import { generatePassword, verifyPassword } from "../../services/staff/passwords.ts";
import { setStaffPassword } from "../../services/staff/staff-repairs.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";

// The sandbox's demo logins: a staff owner for the console and the first demo customers for the portal,
// written to DATA_DIR/sandbox-logins.json (0600) as
//   {"staff": {"email", "password"}, "customers": [{"id", "email", "password"}]}
// so a newcomer can log in to both faces at once. The passwords of an earlier start are kept (the file is
// read back), so a restart does not change them, nor end the sessions made with them; a missing or unreadable
// file makes new ones.

export const SANDBOX_STAFF_EMAIL = "owner@sandbox.example.com";
const DEMO_CUSTOMERS = 2;

export interface SandboxLogins {
  staff: { email: string; password: string };
  customers: { id: number; email: string; password: string }[];
}

export function sandboxLoginsFile(dataDir: string): string {
  return join(dataDir, "sandbox-logins.json");
}

function readEarlier(file: string | undefined): Partial<SandboxLogins> {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Partial<SandboxLogins>;
  } catch {
    return {};
  }
}

/**
 * Whether a stored hash already takes this password. Setting a password ends the account's sessions, so a
 * restart that set the same ones again logged every demo staff and portal session out.
 */
async function holds(passwordHash: string | null | undefined, password: string): Promise<boolean> {
  return typeof passwordHash === "string" && (await verifyPassword(passwordHash, password));
}

/** Makes (or confirms) the demo logins; returns them and the file they are in (none with memory://). */
export async function ensureSandboxLogins(
  ctx: ServiceContext,
  dataDir: string,
  logger: Logger,
): Promise<{ logins: SandboxLogins; file: string | undefined }> {
  const file = dataDir === "memory://" ? undefined : sandboxLoginsFile(dataDir);
  const earlier = readEarlier(file);
  const staffPassword =
    typeof earlier.staff?.password === "string" ? earlier.staff.password : generatePassword();
  const existing = await ctx.db
    .selectFrom("staff_user")
    .select(["id", "password_hash"])
    .where("email", "=", SANDBOX_STAFF_EMAIL)
    .executeTakeFirst();
  if (existing) {
    if (!(await holds(existing.password_hash, staffPassword)))
      await setStaffPassword({ ctx, input: { id: existing.id, password: staffPassword } });
  } else
    await createStaffUser({
      ctx,
      input: { email: SANDBOX_STAFF_EMAIL, name: "Sandbox Owner", role: "owner", password: staffPassword },
    });

  const customers = await ctx.db
    .selectFrom("customer")
    .leftJoin("portal_account", "portal_account.customer_id", "customer.id")
    .select(["customer.id", "customer.email", "portal_account.password_hash"])
    .orderBy("customer.id")
    .limit(DEMO_CUSTOMERS)
    .execute();
  const logins: SandboxLogins = {
    staff: { email: SANDBOX_STAFF_EMAIL, password: staffPassword },
    customers: [],
  };
  for (const customer of customers) {
    const before = earlier.customers?.find((c) => c.id === Number(customer.id));
    const password = typeof before?.password === "string" ? before.password : generatePassword();
    if (!(await holds(customer.password_hash, password)))
      await setPortalPassword({ ctx, input: { customer_id: customer.id, password } });
    logins.customers.push({ id: Number(customer.id), email: customer.email, password });
  }
  if (file)
    writePrivateFile(file, `${JSON.stringify(logins, null, 2)}\n`, (message, details) =>
      logger.warn(details, message),
    );
  return { logins, file };
}
