import { z } from "zod";
import { fieldError, notFound } from "../errors.ts";
import { paginate } from "../http/paginate.ts";
import { idParam, listPath } from "../http/params.ts";
import { actorOf, data, noContent, type Route, type RouteContext } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { assertMayCreateProjects } from "../ops/limits.ts";
import { presentProject } from "../present/projects.ts";
import { findProject, liveServers, nextId } from "../state/state.ts";
import type { ProjectRecord } from "../state/types.ts";
import { createServerFrom, listServers } from "./servers.ts";

// Projects (solusio-api.md §6): a project has an owner, and every server placed in it belongs to that owner.
// Users see and change their own projects, admins all of them. Every user has one default project ("Default
// Project"), which cannot be deleted; a project with live servers cannot be deleted either [OURS].

const ProjectCreate = z.object({
  name: z.string().trim().min(1).max(255),
  description: z.string().max(1000).default(""),
});
const ProjectUpdate = z.object({
  name: z.string().trim().min(1).max(255).optional(),
  description: z.string().max(1000).optional(),
});

/** A project the actor may see; another user's project is a 404, as if it did not exist. */
export function projectOr404(ctx: RouteContext): ProjectRecord {
  const id = idParam(ctx, "Project");
  const project = findProject(ctx.em.state, id);
  const actor = actorOf(ctx);
  if (!project || (!actor.isAdmin && project.userId !== actor.user.id)) throw notFound(`Project ${id}`);
  return project;
}

const present = (ctx: RouteContext) => (p: ProjectRecord) =>
  presentProject(ctx.em.state, p, actorOf(ctx).user.id);

export const projectsRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/projects",
    access: "user",
    handle: (ctx) => {
      const actor = actorOf(ctx);
      const projects = ctx.em.state.projects.filter((p) => actor.isAdmin || p.userId === actor.user.id);
      return { status: 200, json: paginate(projects, ctx.query, listPath(ctx), present(ctx)) };
    },
  },
  {
    // The token's user owns the new project (an admin creating one owns it too).
    method: "POST",
    path: "/api/v1/projects",
    access: "user",
    handle: (ctx) => {
      const actor = actorOf(ctx);
      assertMayCreateProjects(actor.user);
      const body = parseInput(ProjectCreate, ctx.body);
      const project: ProjectRecord = {
        id: nextId(ctx.em.state, "project"),
        name: body.name,
        description: body.description,
        userId: actor.user.id,
        isDefault: false,
        createdAt: ctx.em.now().toISOString(),
      };
      ctx.em.state.projects.push(project);
      return data(present(ctx)(project), 201);
    },
  },
  {
    method: "GET",
    path: "/api/v1/projects/:id",
    access: "user",
    handle: (ctx) => data(present(ctx)(projectOr404(ctx))),
  },
  {
    method: "PUT",
    path: "/api/v1/projects/:id",
    access: "user",
    handle: (ctx) => {
      const project = projectOr404(ctx);
      const body = parseInput(ProjectUpdate, ctx.body);
      if (body.name !== undefined) project.name = body.name;
      if (body.description !== undefined) project.description = body.description;
      return data(present(ctx)(project));
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/projects/:id",
    access: "user",
    handle: (ctx) => {
      const project = projectOr404(ctx);
      if (project.isDefault)
        throw fieldError("project", `Project ${project.id} is its owner's default project.`);
      const servers = liveServers(ctx.em.state).filter((s) => s.projectId === project.id).length;
      if (servers > 0) {
        throw fieldError("servers", `Project ${project.id} has ${servers} server(s); delete them first.`);
      }
      ctx.em.state.projects = ctx.em.state.projects.filter((p) => p.id !== project.id);
      return noContent();
    },
  },
  {
    method: "GET",
    path: "/api/v1/projects/:id/servers",
    access: "user",
    handle: (ctx) => listServers(ctx, projectOr404(ctx).id),
  },
  {
    // The Go SDK's ProjectServerCreate: the server belongs to the project's owner.
    method: "POST",
    path: "/api/v1/projects/:id/servers",
    access: "user",
    handle: (ctx) => createServerFrom(ctx, projectOr404(ctx).id),
  },
];
