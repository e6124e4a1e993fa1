import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { ASSET } from "./page-helpers.ts";

// The browser-side guard of the forms whose second sending makes a second thing (an API key, a staff user):
// assets/submit-once.js, served from our own origin as the CSP asks. It is only that: the server still acts
// on every POST it receives (docs/console.md).

const SUBMIT_ONCE_SCRIPT = readFileSync(new URL("../assets/submit-once.js", import.meta.url), "utf8");

export function registerSubmitOnceAsset(app: FastifyInstance): void {
  app.get("/console/assets/submit-once.js", ASSET, async (_request, reply) =>
    reply
      .header("cache-control", "private, max-age=300")
      .type("text/javascript; charset=utf-8")
      .send(SUBMIT_ONCE_SCRIPT),
  );
}
