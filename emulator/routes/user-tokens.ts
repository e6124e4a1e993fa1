import { z } from "zod";
import { notFound } from "../errors.ts";
import { idParam } from "../http/params.ts";
import { data, type Route } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { mintAccessToken } from "../ops/tokens.ts";
import { apiTimestamp } from "../present/time.ts";
import { findUser } from "../state/state.ts";

// POST users/{id}/tokens {"is_one_time": true} → 201 {data: {access_token}} (solusio-api.md §2, §3).
// The extra keys next to access_token are [OURS].
const TokenBody = z.object({ is_one_time: z.boolean().default(false) });

export const userTokensRoutes: Route[] = [
  {
    method: "POST",
    path: "/api/v1/users/:id/tokens",
    access: "admin",
    handle: (ctx) => {
      const id = idParam(ctx, "User");
      const user = findUser(ctx.em.state, id);
      if (!user) throw notFound(`User ${id}`);
      const body = parseInput(TokenBody, ctx.body);
      const token = mintAccessToken(ctx.em.state, ctx.em.now(), user, body.is_one_time);
      return data(
        {
          access_token: token.token,
          token_type: "Bearer",
          is_one_time: token.isOneTime,
          expires_at: token.expiresAt ? apiTimestamp(token.expiresAt) : null,
        },
        201,
      );
    },
  },
];
