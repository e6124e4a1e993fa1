import { z } from "zod";
import { fieldError, forbidden, notFound } from "../errors.ts";
import { paginate } from "../http/paginate.ts";
import { idParam, listPath } from "../http/params.ts";
import { actorOf, data, type Route, type RouteContext } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { createServer, deleteServer } from "../ops/servers.ts";
import { presentServer, presentTask } from "../present/servers.ts";
import { IdInput } from "../schemas.ts";
import { findServer, liveServers } from "../state/state.ts";
import { SERVER_STATUSES, type ServerRecord } from "../state/types.ts";

// Servers (solusio-api.md §6). Admins see every server, users their own. The official modules send more
// keys (os, application, fqdns, ssh_keys, backup_settings, user_data, custom_plan): accepted and ignored.

const ServerCreate = z.object({
  name: z.string().trim().min(1).max(255),
  plan: IdInput,
  location: IdInput,
  password: z.string().max(255).optional(),
  os: IdInput.optional(),
  application: IdInput.optional(),
  user: IdInput.optional(),
  additional_ip_count: z.int().nonnegative().max(255).default(0),
});

/** A server the actor may see; others' servers are a 404 to a user, as if they did not exist. */
export function serverOr404(ctx: RouteContext): ServerRecord {
  const id = idParam(ctx, "Server");
  const server = findServer(ctx.em.state, id);
  const actor = actorOf(ctx);
  if (!server || (!actor.isAdmin && server.userId !== actor.user.id)) throw notFound(`Server ${id}`);
  return server;
}

function listServers(ctx: RouteContext) {
  const actor = actorOf(ctx);
  const userId = ctx.query.intFilter("user_id");
  // [OURS] extra filters: status and a name substring.
  const status = ctx.query.filter("status");
  if (status !== undefined && !(SERVER_STATUSES as readonly string[]).includes(status)) {
    throw fieldError("filter.status", `The filter[status] must be one of: ${SERVER_STATUSES.join(", ")}.`);
  }
  const search = ctx.query.filter("search")?.toLowerCase();
  const servers = liveServers(ctx.em.state).filter(
    (s) =>
      (actor.isAdmin || s.userId === actor.user.id) &&
      (userId === undefined || s.userId === userId) &&
      (status === undefined || s.status === status) &&
      (search === undefined || s.name.toLowerCase().includes(search)),
  );
  return paginate(servers, ctx.query, listPath(ctx), (s) => presentServer(ctx.em.state, s));
}

/** The project the actor may create servers in; another user's project is a 404, as if it did not exist. */
function projectOr404(ctx: RouteContext) {
  const id = idParam(ctx, "Project");
  const project = ctx.em.state.projects.find((p) => p.id === id);
  const actor = actorOf(ctx);
  if (!project || (!actor.isAdmin && project.userId !== actor.user.id)) throw notFound(`Project ${id}`);
  return project;
}

function createIn(ctx: RouteContext, ownerId: number | undefined) {
  const actor = actorOf(ctx);
  const body = parseInput(ServerCreate, ctx.body);
  const owner = ownerId ?? body.user ?? actor.user.id;
  if (!actor.isAdmin && owner !== actor.user.id) {
    throw forbidden("Only an administrator can create servers for another user.");
  }
  const server = createServer(ctx.em.state, ctx.em.now(), {
    name: body.name,
    planId: body.plan,
    locationId: body.location,
    ownerId: owner,
    additionalIpCount: body.additional_ip_count,
  });
  return data(presentServer(ctx.em.state, server), 201);
}

export const serversRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/servers",
    access: "user",
    handle: (ctx) => ({ status: 200, json: listServers(ctx) }),
  },
  {
    method: "GET",
    path: "/api/v1/servers/:id",
    access: "user",
    handle: (ctx) => data(presentServer(ctx.em.state, serverOr404(ctx))),
  },
  {
    method: "POST",
    path: "/api/v1/servers",
    access: "user",
    handle: (ctx) => createIn(ctx, undefined),
  },
  {
    // The official Go SDK creates servers inside a project: the server belongs to the project's owner.
    method: "POST",
    path: "/api/v1/projects/:id/servers",
    access: "user",
    handle: (ctx) => createIn(ctx, projectOr404(ctx).userId),
  },
  {
    // [OURS] shape: {id, name, owner: {id, email}}; every user has one Default Project.
    method: "GET",
    path: "/api/v1/projects",
    access: "user",
    handle: (ctx) => {
      const actor = actorOf(ctx);
      const projects = ctx.em.state.projects.filter((p) => actor.isAdmin || p.userId === actor.user.id);
      return {
        status: 200,
        json: paginate(projects, ctx.query, listPath(ctx), (p) => ({
          id: p.id,
          name: p.name,
          user_id: p.userId,
        })),
      };
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/servers/:id",
    access: "user",
    handle: (ctx) => data(presentTask(deleteServer(ctx.em.state, ctx.em.now(), serverOr404(ctx)))),
  },
];
