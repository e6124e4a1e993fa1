import { z } from "zod";
import { fieldError, notFound } from "../errors.ts";
import { paginate } from "../http/paginate.ts";
import { idParam, listPath } from "../http/params.ts";
import { actorOf, data, noContent, type Route, type RouteContext } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { createUser, deleteUser, updateUser, type UserInput } from "../ops/users.ts";
import { presentUser } from "../present/users.ts";
import { BillingUserIdInput, EmailInput, IdInput, UserStatusInput } from "../schemas.ts";
import { findUser, liveUsers } from "../state/state.ts";
import { USER_STATUSES, type UserRecord } from "../state/types.ts";

// Users (solusio-api.md §2). PUT and PATCH accept the same fields and change only those sent [OURS: the
// spec lists status/password/roles/billing_user_id/limit_group_id for PUT and email for PATCH].

const UserFields = z.object({
  email: EmailInput,
  password: z.string().max(255).nullable().optional(),
  status: UserStatusInput.optional(),
  billing_user_id: BillingUserIdInput.optional(),
  billing_token: z.string().max(255).nullable().optional(),
  limit_group_id: IdInput.nullable().optional(),
  roles: z.array(IdInput).optional(),
  language_id: IdInput.nullable().optional(),
});
const UserUpdate = UserFields.partial();

function toInput(body: z.output<typeof UserUpdate>): UserInput {
  return {
    email: body.email,
    password: body.password,
    status: body.status,
    billingUserId: body.billing_user_id,
    billingToken: body.billing_token,
    limitGroupId: body.limit_group_id,
    roleIds: body.roles,
    languageId: body.language_id,
  };
}

function userOr404(ctx: RouteContext): UserRecord {
  const id = idParam(ctx, "User");
  const user = findUser(ctx.em.state, id);
  if (!user) throw notFound(`User ${id}`);
  return user;
}

function listUsers(ctx: RouteContext) {
  const { query } = ctx;
  const search = query.filter("search")?.toLowerCase();
  const status = query.filter("status")?.toLowerCase();
  if (status !== undefined && !(USER_STATUSES as readonly string[]).includes(status)) {
    throw fieldError("filter.status", `The filter[status] must be one of: ${USER_STATUSES.join(", ")}.`);
  }
  // [OURS]: accepted so a client may try it, but clients must not depend on it (§1).
  const billingUserId = query.intFilter("billing_user_id");
  const users = liveUsers(ctx.em.state).filter(
    (u) =>
      (search === undefined || u.email.toLowerCase().includes(search)) &&
      (status === undefined || u.status === status) &&
      (billingUserId === undefined || u.billingUserId === billingUserId),
  );
  return paginate(users, query, listPath(ctx), (u) => presentUser(ctx.em.state, u));
}

export const usersRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/users",
    access: "admin",
    handle: (ctx) => ({ status: 200, json: listUsers(ctx) }),
  },
  {
    method: "POST",
    path: "/api/v1/users",
    access: "admin",
    handle: (ctx) => {
      const body = parseInput(UserFields, ctx.body);
      const user = createUser(ctx.em.state, ctx.em.now(), { ...toInput(body), email: body.email });
      return data(presentUser(ctx.em.state, user), 201);
    },
  },
  {
    method: "GET",
    path: "/api/v1/users/:id",
    access: "admin",
    handle: (ctx) => data(presentUser(ctx.em.state, userOr404(ctx))),
  },
  ...(["PUT", "PATCH"] as const).map(
    (method): Route => ({
      method,
      path: "/api/v1/users/:id",
      access: "admin",
      handle: (ctx) => {
        const user = userOr404(ctx);
        const body = parseInput(UserUpdate, ctx.body);
        updateUser(ctx.em.state, ctx.em.now(), user, toInput(body));
        return data(presentUser(ctx.em.state, user));
      },
    }),
  ),
  {
    method: "DELETE",
    path: "/api/v1/users/:id",
    access: "admin",
    handle: (ctx) => {
      deleteUser(ctx.em.state, ctx.em.now(), userOr404(ctx), actorOf(ctx).user.id);
      return noContent();
    },
  },
];
