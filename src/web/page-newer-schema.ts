import type { FastifyReply } from "fastify";
import { headersOfCode } from "../http/errors.ts";
import { renderPage } from "./render.ts";

// A form sent to a console or portal page of an instance older than its database (src/http/newer-schema-refusal.ts):
// a page, not the API's JSON, saying that nothing was saved and, for staff, what to do about the instance.

const MESSAGES = {
  console:
    "A newer version of tokenbill has upgraded the database, and this instance, still running the old " +
    "version, no longer changes anything: nothing was saved. Staff: stop this instance and use the upgraded " +
    "one (docs/operations.md, “Starting and upgrading”), then send the form again.",
  portal:
    "Nothing was changed: we are upgrading this service, and this server no longer takes changes. Try again " +
    "in a minute. If this keeps happening, tell us: an old server of ours needs stopping.",
} as const;

export function answerPageNewerSchema(reply: FastifyReply, face: "console" | "portal"): FastifyReply {
  reply.headers(headersOfCode("NEWER_SCHEMA"));
  return renderPage(
    reply,
    "message",
    {
      face,
      title: "Upgrade in progress",
      heading: "Upgrade in progress",
      message: MESSAGES[face],
      back: { href: `/${face}`, text: "Back" },
      csrf: "",
    },
    503,
  );
}
