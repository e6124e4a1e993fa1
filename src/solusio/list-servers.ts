import { z } from "zod";
import { ServiceError } from "../kernel/errors.ts";
import { describeItemIssue, followPages, type JsonReader } from "./follow-pages.ts";
import { SolusioServer } from "./schemas.ts";

const ServerPage = z.looseObject({
  data: z.array(z.unknown()),
  meta: z
    .looseObject({ current_page: z.number().int().optional(), last_page: z.number().int().min(1) })
    .optional(),
});

/** Every server listed, and SolusIO's own time of the first page's answer (null without a Date header). */
export interface ServerListing {
  servers: SolusioServer[];
  seenAt: Date | null;
}

/**
 * GET servers, all pages (solusio-api.md §6): the server list that usage source (b) records. A server that
 * does not validate fails the whole list, naming it: a poll from part of the list would mark servers gone.
 * The sighting is stamped with SolusIO's clock (the first answer's Date header), not tokenbill's: hours are
 * counted from SolusIO's created_at, so both ends of a lifetime must come from the same clock.
 */
export async function listSolusioServers(reader: JsonReader): Promise<ServerListing> {
  const servers: SolusioServer[] = [];
  let seenAt: Date | null = null;
  const pages = followPages(
    reader,
    "servers",
    (page) => ({ page }),
    ServerPage,
    (page) => ServiceError.unavailable(`SolusIO servers page ${page} is not a list`, "staff"),
    (date) => {
      seenAt ??= date;
    },
  );
  for await (const { page, answer } of pages) {
    for (const [i, raw] of answer.data.entries()) {
      const server = SolusioServer.safeParse(raw);
      if (!server.success) {
        throw new ServiceError(
          "UPSTREAM_UNAVAILABLE",
          `SolusIO servers page ${page}, ${describeItemIssue(i, server.error)}`,
        );
      }
      servers.push(server.data);
    }
  }
  return { servers, seenAt };
}
