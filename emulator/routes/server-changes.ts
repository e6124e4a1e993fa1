import { z } from "zod";
import { actorOf, data, type Route } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { addIps, removeIps, resizeServer, switchBackups } from "../ops/server-changes.ts";
import { presentTask } from "../present/servers.ts";
import { IdInput } from "../schemas.ts";
import { BackupSettingsInput, serverOr404 } from "./servers.ts";

// What changes a server's bill mid-period (solusio-api.md §6, billing-rules §2.2). A deleted server is a 404
// (serverOr404). Each answers 200 {data: Task}, done at once like every task here.

// solus-go-sdk servers.go ServerResizeRequest {preserve_disk, plan_id, backup_settings?}; the WHMCS module's
// ServerResizeRequestBuilder adds `custom_plan` (ignored).
const Resize = z.object({
  plan_id: IdInput,
  preserve_disk: z.boolean().optional(),
  backup_settings: BackupSettingsInput.optional(),
});
// [OURS]: neither official client adds or removes IPs; these bodies are solusio-api.md §6's.
const AddIps = z.object({ count: z.int().min(1).max(255) });
const RemoveIps = z.object({ ids: z.array(IdInput).min(1).max(255) });

export const serverChangesRoutes: Route[] = [
  {
    method: "POST",
    path: "/api/v1/servers/:id/resize",
    access: "user",
    handle: (ctx) => {
      const server = serverOr404(ctx);
      const body = parseInput(Resize, ctx.body);
      const email = actorOf(ctx).user.email;
      const now = ctx.em.now();
      // Backups off first, so that a resize to a plan without backups may switch them off in the same call.
      const backups = body.backup_settings?.enabled;
      if (backups === false) switchBackups(ctx.em.state, now, server, false, email);
      const task = resizeServer(ctx.em.state, now, server, body.plan_id, email);
      if (backups === true) switchBackups(ctx.em.state, now, server, true, email);
      return data(presentTask(task));
    },
  },
  {
    method: "POST",
    path: "/api/v1/servers/:id/ips",
    access: "user",
    handle: (ctx) => {
      const server = serverOr404(ctx);
      const body = parseInput(AddIps, ctx.body);
      return data(
        presentTask(addIps(ctx.em.state, ctx.em.now(), server, body.count, actorOf(ctx).user.email)),
      );
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/servers/:id/ips",
    access: "user",
    handle: (ctx) => {
      const server = serverOr404(ctx);
      const body = parseInput(RemoveIps, ctx.body);
      return data(
        presentTask(removeIps(ctx.em.state, ctx.em.now(), server, body.ids, actorOf(ctx).user.email)),
      );
    },
  },
];
