import { readFileSync } from "node:fs";
import type { FastifyInstance, RouteShorthandOptions } from "fastify";

// assets/form-answer.js, which every console and portal page answering a form (a POST) loads: it renames that
// page's history entry to the page the form is on, so Back to it is a page rather than a browser error. One
// script for both faces, served under each (`/console/assets/…`, `/portal/assets/…`) behind that face's login,
// as its pages are; until 2026-12-07 only the console had it.

const FORM_ANSWER_SCRIPT = readFileSync(new URL("./assets/form-answer.js", import.meta.url), "utf8");

export function registerFormAnswerAsset(
  app: FastifyInstance,
  face: "console" | "portal",
  options: RouteShorthandOptions,
): void {
  // The layout loads it from its face's path (layout.eta).
  app.get(`/${face}/assets/form-answer.js`, options, async (_request, reply) =>
    reply
      .header("cache-control", "private, max-age=300")
      .type("text/javascript; charset=utf-8")
      .send(FORM_ANSWER_SCRIPT),
  );
}
