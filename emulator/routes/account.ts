import { actorOf, data, type Route } from "../http/route.ts";
import { presentUser } from "../present/users.ts";

// GET account: the token owner's User — the cheap connection test of solusio-api.md §7.
export const accountRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/account",
    access: "user",
    handle: (ctx) => data(presentUser(ctx.em.state, actorOf(ctx).user)),
  },
];
