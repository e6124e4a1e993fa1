import { fieldError, notFound } from "../errors.ts";
import { paginate } from "../http/paginate.ts";
import { idParam, listPath } from "../http/params.ts";
import { actorOf, data, type Route, type RouteContext } from "../http/route.ts";
import { presentActivityLog } from "../present/activity-logs.ts";
import { presentTask } from "../present/servers.ts";
import type { TaskRecord } from "../state/types.ts";

// GET tasks and GET activity_logs (solusio-api.md §6, §9 (c)): where a billing system finds the exact instants
// of creates, deletes, resizes and IP changes. Both list in ascending id and page like every list. Filters are
// those of the Go SDK (tasksFilter: action, status, compute_resource_id, compute_resource_vm_id;
// activityLogs.go: event, user_id).

// Every task here is done at once; the other statuses are accepted as filters and match nothing.
const TASK_STATUSES = ["pending", "queued", "running", "done", "done_with_errors", "failed", "canceled"];

function ownerOf(ctx: RouteContext, task: TaskRecord): number | undefined {
  return ctx.em.state.servers.find((s) => s.id === task.serverId)?.userId;
}

export const tasksRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/tasks",
    access: "user",
    handle: (ctx) => {
      const actor = actorOf(ctx);
      const action = ctx.query.filter("action");
      const status = ctx.query.filter("status");
      if (status !== undefined && !TASK_STATUSES.includes(status)) {
        throw fieldError("filter.status", `The filter[status] must be one of: ${TASK_STATUSES.join(", ")}.`);
      }
      const computeResource = ctx.query.intFilter("compute_resource_id");
      const serverId = ctx.query.intFilter("compute_resource_vm_id");
      const tasks = ctx.em.state.tasks.filter(
        (t) =>
          (actor.isAdmin || ownerOf(ctx, t) === actor.user.id) &&
          (action === undefined || t.action === action) &&
          (status === undefined || status === "done") &&
          (computeResource === undefined || computeResource === 1) &&
          (serverId === undefined || t.serverId === serverId),
      );
      return { status: 200, json: paginate(tasks, ctx.query, listPath(ctx), presentTask) };
    },
  },
  {
    method: "GET",
    path: "/api/v1/tasks/:id",
    access: "user",
    handle: (ctx) => {
      const id = idParam(ctx, "Task");
      const task = ctx.em.state.tasks.find((t) => t.id === id);
      const actor = actorOf(ctx);
      if (!task || (!actor.isAdmin && ownerOf(ctx, task) !== actor.user.id)) throw notFound(`Task ${id}`);
      return data(presentTask(task));
    },
  },
  {
    method: "GET",
    path: "/api/v1/activity_logs",
    access: "admin",
    handle: (ctx) => {
      const event = ctx.query.filter("event");
      const userId = ctx.query.intFilter("user_id");
      const email = userId === undefined ? undefined : ctx.em.state.users.find((u) => u.id === userId)?.email;
      const entries = ctx.em.state.activityLogs.filter(
        (e) =>
          (event === undefined || e.event === event) &&
          (userId === undefined || (email !== undefined && e.userEmail === email)),
      );
      return { status: 200, json: paginate(entries, ctx.query, listPath(ctx), presentActivityLog) };
    },
  },
];
