import { backupFileName, takeBackup } from "../../services/backup/take-backup.ts";
import { defineRoute } from "../route.ts";

// The embedded database's backup, for a cron job with an admin key (docs/operations.md, "Backups").

export const backupRoutes = [
  defineRoute({
    method: "GET",
    url: "/api/v1/backup",
    tag: "backup",
    summary:
      "A backup of the embedded database (gzipped tar; `tokenbill database restore` puts it back); admins only, audited; 409 on PostgreSQL",
    raw: { contentType: "application/gzip", fileName: backupFileName },
    // Its audit row.
    writes: true,
    // The whole database, key hashes and the SSO signing key with it: refused to billing and support keys in
    // the access layer too, not only by takeBackup's check (owners and admins).
    keyRoles: ["admin"],
    // Stopped when the client goes away while it is being made; streamed once it is (streamed-answer.ts).
    handler: ({ ctx, clientGone }) => takeBackup({ ctx: { ...ctx, signal: clientGone }, input: {} }),
  }),
];
