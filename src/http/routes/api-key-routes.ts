import { z } from "zod";
import {
  ApiKey,
  ApiKeyCreate,
  ApiKeyParams,
  CreatedApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from "../../services/api-keys/api-keys.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import { type AnyRouteSpec, defineRoute } from "../route.ts";

// Admin API keys while the server runs (the embedded database is held by the server, so the CLI cannot
// reach it then): create, list, revoke. Every change is audited; a key is shown once, in the create answer.

const PATH = "/api/v1/api-keys";

export const apiKeyRoutes: AnyRouteSpec[] = [
  defineRoute({
    method: "GET",
    url: PATH,
    tag: "api-keys",
    summary: "List admin API keys, revoked ones included (never a key or its hash)",
    query: PageQuery,
    response: z.array(ApiKey),
    paged: true,
    handler: ({ ctx, query }) => listApiKeys({ ctx, input: query }),
  }),
  defineRoute({
    method: "POST",
    url: PATH,
    tag: "api-keys",
    summary: "Create an admin API key; `key` is in this answer only, store it now",
    body: ApiKeyCreate,
    response: CreatedApiKey,
    status: 201,
    handler: ({ ctx, body }) => createApiKey({ ctx, input: body }),
  }),
  defineRoute({
    method: "DELETE",
    url: `${PATH}/{id}`,
    tag: "api-keys",
    summary: "Revoke an admin API key: refused from the next request on (revoking it again: 204 as well)",
    params: ApiKeyParams,
    status: 204,
    handler: async ({ ctx, params }) => {
      await revokeApiKey({ ctx, input: params });
    },
  }),
];
