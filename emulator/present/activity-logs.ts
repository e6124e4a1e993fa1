import type { ActivityLogRecord } from "../state/types.ts";
import { apiTimestamp } from "./time.ts";

/** An entry of GET activity_logs as the Go SDK declares it (activityLogs.go): {id, event, user_email, created_at, data}. */
export function presentActivityLog(entry: ActivityLogRecord) {
  return {
    id: entry.id,
    event: entry.event,
    user_email: entry.userEmail,
    created_at: apiTimestamp(entry.createdAt),
    data: { ...entry.data },
  };
}
