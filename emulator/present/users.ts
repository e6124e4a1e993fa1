import { findLimitGroup, findRole } from "../state/state.ts";
import type { EmulatorState, RoleRecord, UserRecord } from "../state/types.ts";
import { presentLimitGroup } from "./catalog.ts";
import { apiTimestamp } from "./time.ts";

export function presentRole(state: EmulatorState, role: RoleRecord) {
  return {
    id: role.id,
    name: role.name,
    is_default: role.isDefault,
    users_count: state.users.filter((u) => u.deletedAt === null && u.roleIds.includes(role.id)).length,
  };
}

/** The User of solusio-api.md §2; `limit_group` and `language_id` are extras a client may ignore [OURS]. */
export function presentUser(state: EmulatorState, user: UserRecord) {
  const group = user.limitGroupId === null ? undefined : findLimitGroup(state, user.limitGroupId);
  return {
    id: user.id,
    email: user.email,
    created_at: apiTimestamp(user.createdAt),
    status: user.status,
    roles: user.roleIds.flatMap((id) => {
      const role = findRole(state, id);
      return role ? [presentRole(state, role)] : [];
    }),
    billing_user_id: user.billingUserId,
    billing_token: user.billingToken,
    limit_group: group ? presentLimitGroup(group) : null,
    language_id: user.languageId,
  };
}
