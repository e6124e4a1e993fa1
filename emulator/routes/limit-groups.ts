import { z } from "zod";
import { fieldError, notFound } from "../errors.ts";
import { paginate } from "../http/paginate.ts";
import { idParam, listPath } from "../http/params.ts";
import { data, noContent, type Route, type RouteContext } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { presentLimitGroup } from "../present/catalog.ts";
import { LimitInput } from "../schemas.ts";
import { findLimitGroup, liveUsers, nextId } from "../state/state.ts";
import type { LimitGroupRecord } from "../state/types.ts";

// Limit groups (solusio-api.md §4). Create/update bodies mirror the object without ids [OURS]. Deleting a
// group that users or settings still use is refused [OURS]: silently lifting their limits would be worse.

const DISABLED = { limit: 0, is_enabled: false };
const GroupCreate = z.object({
  name: z.string().trim().min(1).max(255),
  vms: LimitInput.default(DISABLED),
  running_vms: LimitInput.default(DISABLED),
  additional_ips: LimitInput.default(DISABLED),
});
const GroupUpdate = z.object({
  name: z.string().trim().min(1).max(255).optional(),
  vms: LimitInput.optional(),
  running_vms: LimitInput.optional(),
  additional_ips: LimitInput.optional(),
});

function groupOr404(ctx: RouteContext): LimitGroupRecord {
  const id = idParam(ctx, "Limit group");
  const group = findLimitGroup(ctx.em.state, id);
  if (!group) throw notFound(`Limit group ${id}`);
  return group;
}

export const limitGroupsRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/limit_groups",
    access: "admin",
    handle: (ctx) => ({
      status: 200,
      json: paginate(ctx.em.state.limitGroups, ctx.query, listPath(ctx), presentLimitGroup),
    }),
  },
  {
    method: "GET",
    path: "/api/v1/limit_groups/:id",
    access: "admin",
    handle: (ctx) => data(presentLimitGroup(groupOr404(ctx))),
  },
  {
    method: "POST",
    path: "/api/v1/limit_groups",
    access: "admin",
    handle: (ctx) => {
      const body = parseInput(GroupCreate, ctx.body);
      const at = ctx.em.now().toISOString();
      const group: LimitGroupRecord = {
        id: nextId(ctx.em.state, "limitGroup"),
        name: body.name,
        vms: body.vms,
        runningVms: body.running_vms,
        additionalIps: body.additional_ips,
        createdAt: at,
        updatedAt: at,
      };
      ctx.em.state.limitGroups.push(group);
      return data(presentLimitGroup(group), 201);
    },
  },
  {
    method: "PUT",
    path: "/api/v1/limit_groups/:id",
    access: "admin",
    handle: (ctx) => {
      const group = groupOr404(ctx);
      const body = parseInput(GroupUpdate, ctx.body);
      if (body.name !== undefined) group.name = body.name;
      if (body.vms) group.vms = body.vms;
      if (body.running_vms) group.runningVms = body.running_vms;
      if (body.additional_ips) group.additionalIps = body.additional_ips;
      group.updatedAt = ctx.em.now().toISOString();
      return data(presentLimitGroup(group));
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/limit_groups/:id",
    access: "admin",
    handle: (ctx) => {
      const group = groupOr404(ctx);
      const { state } = ctx.em;
      const users = liveUsers(state).filter((u) => u.limitGroupId === group.id).length;
      if (users > 0)
        throw fieldError(
          "limit_group",
          `Limit group ${group.id} is assigned to ${users} user(s); move them first.`,
        );
      if (state.settings.limitGroupId === group.id) {
        throw fieldError(
          "limit_group",
          `Limit group ${group.id} is the default for new users (settings.limit_group).`,
        );
      }
      state.limitGroups = state.limitGroups.filter((g) => g.id !== group.id);
      return noContent();
    },
  },
];
