import { z } from "zod";
import { ServiceError } from "../kernel/errors.ts";
import { describeItemIssue, followPages, type JsonReader } from "./follow-pages.ts";
import { SolusioServer } from "./schemas.ts";

const ServerPage = z.looseObject({
  data: z.array(z.unknown()),
  meta: z.looseObject({ last_page: z.number().int().min(1) }).optional(),
});

/**
 * GET servers, all pages (solusio-api.md §6): the server list that usage source (b) records. A server that
 * does not validate fails the whole list, naming it: a poll from part of the list would mark servers gone.
 */
export async function listSolusioServers(reader: JsonReader): Promise<SolusioServer[]> {
  const servers: SolusioServer[] = [];
  const pages = followPages(
    reader,
    "servers",
    (page) => ({ page }),
    ServerPage,
    (page) => new ServiceError("UPSTREAM_UNAVAILABLE", `SolusIO servers page ${page} is not a list`),
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
  return servers;
}
