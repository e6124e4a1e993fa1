import { forbidden } from "../errors.ts";
import { actorOf, data, type Route } from "../http/route.ts";
import { POWER_ACTIONS, runPowerAction } from "../ops/servers.ts";
import { presentTask } from "../present/servers.ts";
import { serverOr404 } from "./servers.ts";

// POST servers/{id}/start|stop|restart|suspend|resume → 200 {data: Task} (solusio-api.md §1, §6).
// Owners may start, stop and restart; suspend and resume are for administrators [OURS].

const ADMIN_ONLY = new Set(["suspend", "resume"]);

export const serverActionsRoutes: Route[] = [
  ...POWER_ACTIONS.map(
    (action): Route => ({
      method: "POST",
      path: `/api/v1/servers/:id/${action}`,
      access: "user",
      handle: (ctx) => {
        const server = serverOr404(ctx);
        if (ADMIN_ONLY.has(action) && !actorOf(ctx).isAdmin) throw forbidden("This action is unauthorized.");
        return data(presentTask(runPowerAction(ctx.em.state, ctx.em.now(), server, action)));
      },
    }),
  ),
];
