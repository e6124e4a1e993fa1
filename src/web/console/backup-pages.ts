import type { FastifyInstance } from "fastify";
import { clientGone, sendStreamed, stoppedForGoneClient } from "../../http/streamed-answer.ts";
import { backupFileName, takeBackup } from "../../services/backup/take-backup.ts";
import type { WebDeps } from "../web-deps.ts";
import { STAFF } from "./page-helpers.ts";

// The embedded database's backup, downloaded from the console (docs/operations.md, "Backups"). A form's POST,
// not a link: taking one holds the database for a moment, so another site must not be able to start it.

export function registerBackupPages(app: FastifyInstance, deps: WebDeps): void {
  app.post("/console/backup", { ...STAFF, preHandler: app.csrfProtection }, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const gone = clientGone(reply);
    let backup: Awaited<ReturnType<typeof takeBackup>>;
    try {
      backup = await takeBackup({ ctx: { ...ctx, signal: gone }, input: {} });
    } catch (error) {
      if (stoppedForGoneClient(reply, gone, error)) return reply;
      throw error;
    }
    reply
      .header("cache-control", "no-store")
      .header("content-disposition", `attachment; filename="${backupFileName(ctx.now())}"`)
      .type("application/gzip");
    return sendStreamed(reply, backup);
  });
}
