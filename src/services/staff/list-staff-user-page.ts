import { type Page, PageQuery, fetchPage } from "../../kernel/pagination.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ADMIN_ROLES, requireStaffRole } from "./staff-roles.ts";
import { presentStaffUser, STAFF_USER_COLUMNS, type StaffUser } from "./staff-users.ts";

/**
 * One page of the staff users, by e-mail: the console's settings page, bounded as every console list is
 * (`listStaffUsers` keeps the whole list for `tokenbill staff list`).
 */
export const listStaffUserPage = defineVerb(PageQuery, async ({ ctx, input }): Promise<Page<StaffUser>> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  return fetchPage(
    ctx.db.selectFrom("staff_user"),
    input,
    // E-mails are unique (lower-cased, staff_user_email_unique), so the order is total across pages.
    (q) => q.select(STAFF_USER_COLUMNS).orderBy("email"),
    presentStaffUser,
  );
});
