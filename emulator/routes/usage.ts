import { z } from "zod";
import { fieldError, notFound } from "../errors.ts";
import { paginate } from "../http/paginate.ts";
import { listPath } from "../http/params.ts";
import { actorOf, data, type Route } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { usageLines } from "../ops/usage.ts";
import { presentUsageLine } from "../present/usage.ts";
import { liveServers } from "../state/state.ts";

// (a) The usage endpoint [OURS]: GET {usagePath}?period_start=&period_end=&page= (default path "usage").
// (b) The public monitoring routes GET usage/{cpu|network|disks|memory}/{uuid}: empty graphs, so clients
// that probe them get the documented shape.

const Period = z.object({
  period_start: z.iso.datetime({ offset: true }),
  period_end: z.iso.datetime({ offset: true }),
});

export function usageRoutes(usagePath: string): Route[] {
  const path = `/api/v1/${usagePath.replace(/^\/+|\/+$/g, "")}`;
  return [
    {
      method: "GET",
      path,
      access: "admin",
      handle: (ctx) => {
        const input = parseInput(Period, {
          period_start: ctx.query.get("period_start"),
          period_end: ctx.query.get("period_end"),
        });
        const period = { start: new Date(input.period_start), end: new Date(input.period_end) };
        if (period.end <= period.start)
          throw fieldError("period_end", "The period_end must be after period_start.");
        const lines = usageLines(ctx.em.state, ctx.em.now(), period, {
          userId: ctx.query.intFilter("user_id"),
          billingUserId: ctx.query.intFilter("billing_user_id"),
        });
        return {
          status: 200,
          json: paginate(lines, ctx.query, listPath(ctx), (l) => presentUsageLine(l, period)),
        };
      },
    },
    ...["cpu", "network", "disks", "memory"].map(
      (kind): Route => ({
        method: "GET",
        path: `/api/v1/usage/${kind}/:uuid`,
        access: "user",
        handle: (ctx) => {
          const actor = actorOf(ctx);
          const uuid = ctx.params["uuid"];
          const server = liveServers(ctx.em.state).find((s) => s.uuid === uuid);
          if (!server || (!actor.isAdmin && server.userId !== actor.user.id))
            throw notFound(`Server ${uuid}`);
          return data({ items: [] });
        },
      }),
    ),
  ];
}
