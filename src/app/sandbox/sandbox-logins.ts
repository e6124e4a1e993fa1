import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { writePrivateFile } from "../../db/data-dir-lock.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { setPortalPassword } from "../../services/portal-accounts/portal-accounts.ts";
import { generatePassword } from "../../services/staff/passwords.ts";
import { setStaffPassword } from "../../services/staff/staff-repairs.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";

// The sandbox's demo logins: a staff owner for the console and the first demo customers for the portal,
// written to DATA_DIR/sandbox-logins.json (0600) as
//   {"staff": {"email", "password"}, "customers": [{"id", "email", "password"}]}
// so a newcomer can log in to both faces at once. The passwords of an earlier start are kept (the file is
// read back), so a restart does not change them; a missing or unreadable file makes new ones.

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
    .select("id")
    .where("email", "=", SANDBOX_STAFF_EMAIL)
    .executeTakeFirst();
  if (existing) await setStaffPassword({ ctx, input: { id: existing.id, password: staffPassword } });
  else
    await createStaffUser({
      ctx,
      input: { email: SANDBOX_STAFF_EMAIL, name: "Sandbox Owner", role: "owner", password: staffPassword },
    });

  const customers = await ctx.db
    .selectFrom("customer")
    .select(["id", "email"])
    .orderBy("id")
    .limit(DEMO_CUSTOMERS)
    .execute();
  const logins: SandboxLogins = {
    staff: { email: SANDBOX_STAFF_EMAIL, password: staffPassword },
    customers: [],
  };
  for (const customer of customers) {
    const before = earlier.customers?.find((c) => c.id === Number(customer.id));
    const password = typeof before?.password === "string" ? before.password : generatePassword();
    await setPortalPassword({ ctx, input: { customer_id: customer.id, password } });
    logins.customers.push({ id: Number(customer.id), email: customer.email, password });
  }
  if (file)
    writePrivateFile(file, `${JSON.stringify(logins, null, 2)}\n`, (message, details) =>
      logger.warn(details, message),
    );
  return { logins, file };
}
