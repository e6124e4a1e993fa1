import { z } from "zod";
import { recordAudit } from "../../kernel/audit.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { storePortalPassword } from "../portal-accounts/portal-accounts.ts";
import { PasswordSchema, verifyPassword } from "../staff/passwords.ts";
import { portalCustomerId } from "./portal-customer.ts";

// The customer's own profile. A customer may change the name on the account and the portal password.
// Not the e-mail (it is the login and SolusIO's user; staff change it), the currency (prices and invoices
// are in it), nor the country or region (they choose the tax rules, billing-rules §4): those go through
// staff, who can check them.

export interface PortalProfile {
  name: string;
  email: string;
  country: string;
  region: string | null;
  currency: string;
  status: "active" | "locked" | "suspended";
  has_password: boolean;
}

export const getPortalProfile = defineVerb(NoInput, async ({ ctx }): Promise<PortalProfile> => {
  const customerId = portalCustomerId(ctx);
  const row = await ctx.db
    .selectFrom("customer")
    .leftJoin("portal_account", "portal_account.customer_id", "customer.id")
    .select([
      "customer.name",
      "customer.email",
      "customer.country",
      "customer.region",
      "customer.currency_code",
      "customer.status",
      "portal_account.password_hash",
    ])
    .where("customer.id", "=", customerId)
    .executeTakeFirstOrThrow();
  return {
    name: row.name,
    email: row.email,
    country: row.country,
    region: row.region,
    currency: row.currency_code,
    status: row.status,
    has_password: row.password_hash !== null,
  };
});

export const PortalProfileUpdate = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, "enter the name for your account")
      .max(200, "must be at most 200 characters")
      .refine((v) => !/\p{Cc}/u.test(v), "must not contain control characters"),
  })
  .strict();

export const updatePortalProfile = defineVerb(PortalProfileUpdate, async ({ ctx, input }) => {
  const customerId = portalCustomerId(ctx);
  await withTransaction(ctx, async (tx) => {
    const before = await tx.db
      .selectFrom("customer")
      .select("name")
      .where("id", "=", customerId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (before.name === input.name) return;
    await tx.db
      .updateTable("customer")
      .set({ name: input.name, updated_at: ctx.now() })
      .where("id", "=", customerId)
      .execute();
    // The name is not part of SolusIO's user (e-mail, status and limit group are): no sync needed.
    await recordAudit(tx.db, tx, {
      action: "update",
      entity: "customer",
      entityId: String(customerId),
      before: { name: before.name },
      after: { name: input.name },
    });
  });
});

export const PortalPasswordChange = z
  .object({
    current_password: z.string().min(1, "enter your current password").max(200),
    new_password: PasswordSchema,
  })
  .strict();

/**
 * A new portal password, given the current one. It ends every session of the customer (storePortalPassword),
 * so a stolen session does not outlive the change; the page starts a fresh one for the browser that changed it.
 */
export const changePortalPassword = defineVerb(PortalPasswordChange, async ({ ctx, input }) => {
  const customerId = portalCustomerId(ctx);
  const account = await ctx.db
    .selectFrom("portal_account")
    .select("password_hash")
    .where("customer_id", "=", customerId)
    .executeTakeFirst();
  if (!account?.password_hash)
    throw ServiceError.validation("current_password", "your account has no password yet: use a reset link");
  if (!(await verifyPassword(account.password_hash, input.current_password)))
    throw ServiceError.validation("current_password", "is not your current password");
  if (input.new_password === input.current_password)
    throw ServiceError.validation("new_password", "must differ from the current password");
  // Only if the hash is still the one checked: a change by someone else since (a reset link, staff) stands.
  // Until 2026-12-07 this one overwrote it, so a session holding the old password took the account back.
  if (!(await storePortalPassword(ctx, customerId, input.new_password, account.password_hash)))
    throw ServiceError.validation("current_password", "is not your current password");
});
