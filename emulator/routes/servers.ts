import { z } from "zod";
import { fieldError, forbidden, notFound } from "../errors.ts";
import { paginate } from "../http/paginate.ts";
import { idParam, listPath } from "../http/params.ts";
import { actorOf, data, type Route, type RouteContext } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { switchBackups } from "../ops/server-changes.ts";
import { createServer, deleteServer } from "../ops/servers.ts";
import { presentServer, presentTask } from "../present/servers.ts";
import { IdInput } from "../schemas.ts";
import { findProject, findServer, liveServers } from "../state/state.ts";
import { SERVER_STATUSES, type ServerRecord } from "../state/types.ts";

// Servers (solusio-api.md §6). Admins see every server, users their own. The official modules send more keys
// (application, fqdns, ssh_keys, user_data, custom_plan, boot_mode): accepted and ignored.

/** `backup_settings` as the WHMCS module and the Go SDK send it; only `enabled` matters here. */
export const BackupSettingsInput = z.object({ enabled: z.boolean().optional() });

const ServerCreate = z.object({
  name: z.string().trim().min(1).max(255),
  plan: IdInput,
  location: IdInput,
  password: z.string().max(255).optional(),
  os: IdInput.optional(),
  application: IdInput.optional(),
  user: IdInput.optional(),
  project: IdInput.optional(),
  additional_ip_count: z.int().nonnegative().max(255).default(0),
  backup_settings: BackupSettingsInput.optional(),
});

/**
 * The plan and location go by two names: `plan`/`location` (POST servers: WHMCS, the Go SDK's VirtualServer
 * create) and `plan_id`/`location_id` (POST projects/{id}/servers: the Go SDK's ProjectServersCreateRequest,
 * whose older versions say `zone_id`; `os_image_version_id` is its `os`).
 */
function parseServerCreate(body: unknown) {
  const raw =
    body !== null && typeof body === "object" && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  return parseInput(ServerCreate, {
    ...raw,
    plan: raw["plan"] ?? raw["plan_id"],
    location: raw["location"] ?? raw["location_id"] ?? raw["zone_id"],
    os: raw["os"] ?? raw["os_image_version_id"],
  });
}

const ServerPatch = z.object({
  name: z.string().trim().min(1).max(255).optional(),
  backup_settings: BackupSettingsInput.optional(),
});

/** A server the actor may see; others' servers are a 404 to a user, as if they did not exist. */
export function serverOr404(ctx: RouteContext): ServerRecord {
  const id = idParam(ctx, "Server");
  const server = findServer(ctx.em.state, id);
  const actor = actorOf(ctx);
  if (!server || (!actor.isAdmin && server.userId !== actor.user.id)) throw notFound(`Server ${id}`);
  return server;
}

/** GET servers, or GET projects/{id}/servers when `projectId` is given. */
export function listServers(ctx: RouteContext, projectId?: number) {
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
      (projectId === undefined || s.projectId === projectId) &&
      (userId === undefined || s.userId === userId) &&
      (status === undefined || s.status === status) &&
      (search === undefined || s.name.toLowerCase().includes(search)),
  );
  return {
    status: 200,
    json: paginate(servers, ctx.query, listPath(ctx), (s) => presentServer(ctx.em.state, s)),
  };
}

/**
 * Creates a server. Placed in a project (the path's, or `project` in the body), it belongs to the project's
 * owner, whoever's token asks (solusio-api.md §6): an admin creating into a customer's project bills the customer.
 */
export function createServerFrom(ctx: RouteContext, pathProjectId: number | undefined) {
  const actor = actorOf(ctx);
  const body = parseServerCreate(ctx.body);
  const projectId = pathProjectId ?? body.project;
  let owner = body.user ?? actor.user.id;
  if (projectId !== undefined) {
    const project = findProject(ctx.em.state, projectId);
    // Another user's project is no more visible here than elsewhere.
    if (!project || (!actor.isAdmin && project.userId !== actor.user.id)) {
      throw fieldError("project", `Project ${projectId} does not exist.`);
    }
    if (body.user !== undefined && body.user !== project.userId) {
      throw fieldError("user", `Project ${project.id} belongs to user ${project.userId}, not ${body.user}.`);
    }
    owner = project.userId;
  }
  if (!actor.isAdmin && owner !== actor.user.id) {
    throw forbidden("Only an administrator can create servers for another user.");
  }
  const server = createServer(ctx.em.state, ctx.em.now(), {
    name: body.name,
    planId: body.plan,
    locationId: body.location,
    ownerId: owner,
    ...(projectId !== undefined ? { projectId } : {}),
    additionalIpCount: body.additional_ip_count,
    backupsEnabled: body.backup_settings?.enabled ?? false,
    actorEmail: actor.user.email,
  });
  return data(presentServer(ctx.em.state, server), 201);
}

export const serversRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/servers",
    access: "user",
    handle: (ctx) => listServers(ctx),
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
    handle: (ctx) => createServerFrom(ctx, undefined),
  },
  {
    // The Go SDK's Patch and the WHMCS module's changeHostname. `backup_settings` switches paid backups; the
    // Go SDK omits `enabled: false` (omitempty), so a backup_settings without `enabled` switches them off [OURS].
    method: "PATCH",
    path: "/api/v1/servers/:id",
    access: "user",
    handle: (ctx) => {
      const server = serverOr404(ctx);
      const body = parseInput(ServerPatch, ctx.body);
      const actor = actorOf(ctx);
      if (body.backup_settings !== undefined) {
        const enabled = body.backup_settings.enabled ?? false;
        switchBackups(ctx.em.state, ctx.em.now(), server, enabled, actor.user.email);
      }
      if (body.name !== undefined) server.name = body.name;
      return data(presentServer(ctx.em.state, server));
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/servers/:id",
    access: "user",
    handle: (ctx) => {
      const server = serverOr404(ctx);
      const task = deleteServer(ctx.em.state, ctx.em.now(), server, actorOf(ctx).user.email);
      return data(presentTask(task));
    },
  },
];
