import { z } from "zod";
import "../kernel/plain-zod-wording.ts";
import { ServiceError } from "../kernel/errors.ts";
import { describeItemIssue, followPages, type JsonReader } from "./follow-pages.ts";

// SolusIO's activity log (solusio-api.md §9 (c)): the routes are public, the meaning of each event and
// its `data` keys are [I]/[OURS]. Everything that knows them is in this file.

/** The events usage source (c) rebuilds a server's history from. */
export const SERVER_EVENTS = [
  "compute_resource_vm_created",
  "compute_resource_vm_delete_requested",
  "compute_resource_vm_resized",
  "compute_resource_vm_backups_switched",
  "additional_ip_created",
  "additional_ip_deleted",
] as const;
export type ServerEventName = (typeof SERVER_EVENTS)[number];

const positive = z.coerce.number().int().positive();

/** [OURS] `data` keys per event; unknown keys are kept, missing ones refuse the entry. */
export const ServerEventData = {
  compute_resource_vm_created: z.looseObject({
    server_id: positive,
    server_uuid: z.string().optional(),
    server_name: z.string().optional(),
    user_id: positive.optional(),
    plan_id: positive,
    // [OURS] whether paid backups were on from creation; absent from a SolusIO that does not send it.
    backups_enabled: z.boolean().optional(),
  }),
  compute_resource_vm_delete_requested: z.looseObject({ server_id: positive }),
  compute_resource_vm_resized: z.looseObject({ server_id: positive, plan_id: positive }),
  compute_resource_vm_backups_switched: z.looseObject({ server_id: positive, enabled: z.boolean() }),
  additional_ip_created: z.looseObject({ server_id: positive, ip_id: positive }),
  additional_ip_deleted: z.looseObject({ server_id: positive, ip_id: positive }),
} satisfies Record<ServerEventName, z.ZodType>;

const ActivityEntry = z.looseObject({
  id: z.number().int().positive(),
  event: z.string(),
  created_at: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
  data: z.record(z.string(), z.unknown()).nullable().optional(),
});

const ActivityPage = z.looseObject({
  data: z.array(z.unknown()),
  meta: z
    .looseObject({ current_page: z.number().int().optional(), last_page: z.number().int().min(1) })
    .optional(),
});

export interface ServerActivity {
  id: number;
  event: ServerEventName;
  serverId: number;
  at: Date;
  data: Record<string, unknown>;
}

function isServerEvent(name: string): name is ServerEventName {
  return (SERVER_EVENTS as readonly string[]).includes(name);
}

/**
 * Every billing-relevant entry of GET activity_logs, all pages, newer than `afterId`. Other events are
 * skipped; an entry of a known event whose data does not fit stops the read, naming it: a history built
 * from part of the log would bill wrong hours.
 */
export async function listServerActivity(reader: JsonReader, afterId = 0): Promise<ServerActivity[]> {
  const found: ServerActivity[] = [];
  const pages = followPages(
    reader,
    "activity_logs",
    (page) => ({ page }),
    ActivityPage,
    (page) => ServiceError.unavailable(`SolusIO activity_logs page ${page} is not a list`, "staff"),
  );
  for await (const { page, answer } of pages) {
    for (const [i, raw] of answer.data.entries()) {
      const entry = ActivityEntry.safeParse(raw);
      if (!entry.success) throw unreadable(page, describeItemIssue(i, entry.error));
      const { id, event, created_at, data } = entry.data;
      if (id <= afterId || !isServerEvent(event)) continue;
      const fields = ServerEventData[event].safeParse(data ?? {});
      if (!fields.success)
        throw unreadable(page, `data[${i}] (${event}): ${fields.error.issues[0]?.message}`);
      found.push({ id, event, serverId: fields.data.server_id, at: created_at, data: fields.data });
    }
  }
  return found;
}

function unreadable(page: number, detail: string): ServiceError {
  return new ServiceError("UPSTREAM_UNAVAILABLE", `SolusIO activity_logs page ${page}: ${detail}`);
}
