import type { ServiceContext } from "../../kernel/context.ts";
import type { SessionSubject } from "./web-sessions.ts";

// What a person's known-device cookies (src/web/login-device.ts) are bound to besides the account: its
// password (hash, or the fact it has none) and its device epoch (migration 044). A new password changes the
// first, "log out everywhere" raises the second; either voids every device cookie made before, on every
// browser at once, with nothing stored per device. Until 2026-12-06 "log out everywhere" ended the sessions
// but left every device cookie valid, so a stolen browser kept its device standing (its own count of wrong
// logins instead of the e-mail's).

/**
 * The stamp a device cookie's HMAC binds: at epoch 0 the password stamp alone, the stamp of the cookies made
 * before the epoch existed (so the upgrade voids none); after, the epoch added.
 */
export function deviceStamp(passwordStamp: string, epoch: number | null | undefined): string {
  return epoch ? `${passwordStamp}\nepoch ${epoch}` : passwordStamp;
}

/**
 * Voids every known-device cookie of the person (raises the epoch), in the caller's transaction. A customer
 * without a portal_account row (a link-only account never given a password) gets one, still without a
 * password, so its epoch has a place.
 */
export async function voidKnownDevices(
  ctx: Pick<ServiceContext, "db" | "now">,
  subject: SessionSubject,
): Promise<void> {
  if (subject.kind === "staff") {
    await ctx.db
      .updateTable("staff_user")
      .set((eb) => ({ device_epoch: eb("device_epoch", "+", 1) }))
      .where("id", "=", subject.staffUserId)
      .execute();
    return;
  }
  await ctx.db
    .insertInto("portal_account")
    .values({
      customer_id: subject.customerId,
      password_hash: null,
      device_epoch: 1,
      created_at: ctx.now(),
      updated_at: ctx.now(),
    })
    .onConflict((oc) =>
      oc.column("customer_id").doUpdateSet((eb) => ({
        device_epoch: eb("portal_account.device_epoch", "+", 1),
        updated_at: ctx.now(),
      })),
    )
    .execute();
}
