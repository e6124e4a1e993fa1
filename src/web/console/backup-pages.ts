import type { FastifyInstance } from "fastify";
import { backupFileName, takeBackup } from "../../services/backup/take-backup.ts";
import type { WebDeps } from "../web-deps.ts";
import { STAFF } from "./page-helpers.ts";

// The embedded database's backup, downloaded from the console (docs/operations.md, "Backups"). A form's POST,
// not a link: taking one holds the database for a moment, so another site must not be able to start it.

export function registerBackupPages(app: FastifyInstance, deps: WebDeps): void {
  app.post("/console/backup", { ...STAFF, preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const bytes = await takeBackup({ ctx, input: {} });
    return reply
      .header("cache-control", "no-store")
      .header("content-disposition", `attachment; filename="${backupFileName(ctx.now())}"`)
      .type("application/gzip")
      .send(Buffer.from(bytes));
  });
}
