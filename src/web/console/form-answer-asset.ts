import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { ASSET } from "./page-helpers.ts";

// assets/form-answer.js, which every console page answering a form (a POST) loads: it renames that page's
// history entry to the page the form is on, so Back to it is a page rather than a browser error.

const FORM_ANSWER_SCRIPT = readFileSync(new URL("../assets/form-answer.js", import.meta.url), "utf8");

export function registerFormAnswerAsset(app: FastifyInstance): void {
  app.get("/console/assets/form-answer.js", ASSET, async (_request, reply) =>
    reply
      .header("cache-control", "private, max-age=300")
      .type("text/javascript; charset=utf-8")
      .send(FORM_ANSWER_SCRIPT),
  );
}
