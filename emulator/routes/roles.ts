import { notFound } from "../errors.ts";
import { paginate } from "../http/paginate.ts";
import { idParam, listPath } from "../http/params.ts";
import { data, type Route } from "../http/route.ts";
import { presentRole } from "../present/users.ts";
import { findRole } from "../state/state.ts";

// Roles are read-only here: the built-ins (Admin, Client) plus any the seed adds.
export const rolesRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/roles",
    access: "admin",
    handle: (ctx) => ({
      status: 200,
      json: paginate(ctx.em.state.roles, ctx.query, listPath(ctx), (r) => presentRole(ctx.em.state, r)),
    }),
  },
  {
    method: "GET",
    path: "/api/v1/roles/:id",
    access: "admin",
    handle: (ctx) => {
      const id = idParam(ctx, "Role");
      const role = findRole(ctx.em.state, id);
      if (!role) throw notFound(`Role ${id}`);
      return data(presentRole(ctx.em.state, role));
    },
  },
];
