import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";

// assets/form-answer.js, which every console and portal page answering a form (a POST) loads: it renames that
// page's history entry to the page the form is on, so Back to it is a page rather than a browser error. One
// script for both faces, served under each (`/console/assets/…`, `/portal/assets/…`). Public, as the login and
// password-reset pages load it too and have no session (until 2026-12-07 it was behind each face's login, so
// those pages could not): it is the same few lines for everyone and says nothing about anyone. The only public
// asset: the faces' other scripts stay behind their login.

const FORM_ANSWER_SCRIPT = readFileSync(new URL("./assets/form-answer.js", import.meta.url), "utf8");

const PUBLIC = { config: { access: "public" as const } };

export function registerFormAnswerAsset(app: FastifyInstance, face: "console" | "portal"): void {
  // The layout loads it from its face's path (layout.eta).
  app.get(`/${face}/assets/form-answer.js`, PUBLIC, async (_request, reply) =>
    reply
      .header("cache-control", "private, max-age=300")
      .type("text/javascript; charset=utf-8")
      .send(FORM_ANSWER_SCRIPT),
  );
}
