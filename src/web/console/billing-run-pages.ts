import type { FastifyInstance } from "fastify";
import type { WebDeps } from "../web-deps.ts";

export function registerBillingRunPages(_app: FastifyInstance, _deps: WebDeps): void {}
