import { forbidden, notFound } from "../errors.ts";
import { idParam } from "../http/params.ts";
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
  {
    method: "GET",
    path: "/api/v1/tasks/:id",
    access: "user",
    handle: (ctx) => {
      const id = idParam(ctx, "Task");
      const task = ctx.em.state.tasks.find((t) => t.id === id);
      const actor = actorOf(ctx);
      const owner = task ? ctx.em.state.servers.find((s) => s.id === task.serverId)?.userId : undefined;
      if (!task || (!actor.isAdmin && owner !== actor.user.id)) throw notFound(`Task ${id}`);
      return data(presentTask(task));
    },
  },
];
