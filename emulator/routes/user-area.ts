import { pricingForUser } from "../billing/plan-price.ts";
import type { Route, RouteContext } from "../http/route.ts";
import { closeSession, consumeLoginToken, openSession, userForSession } from "../ops/tokens.ts";
import { renderMessage, renderUserArea } from "../user-area/render.ts";

// Single sign-on (solusio-api.md §3) and the user area. /auth/by_token/{token} trades a one-time token for
// a session cookie and redirects to the user area at "/"; a used, expired or unknown token is 401 [OURS].

export const SESSION_COOKIE = "solusio_session";

function sessionCookie(value: string, maxAge: number): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}`;
}

function sessionUser(ctx: RouteContext) {
  const id = ctx.cookies[SESSION_COOKIE];
  return id ? userForSession(ctx.em.state, id) : undefined;
}

export const userAreaRoutes: Route[] = [
  {
    method: "GET",
    path: "/auth/by_token/:token",
    access: "public",
    handle: (ctx) => {
      const user = consumeLoginToken(ctx.em.state, ctx.em.now(), ctx.params["token"] ?? "");
      if (!user) {
        return {
          status: 401,
          html: renderMessage(
            "Login link not valid",
            "This login link is unknown, expired or already used. Log in again through your billing system.",
          ),
        };
      }
      const session = openSession(ctx.em.state, ctx.em.now(), user);
      return {
        status: 302,
        headers: {
          location: "/",
          "set-cookie": sessionCookie(session.id, 86_400),
          "cache-control": "no-store",
        },
        html: "",
        changed: true,
      };
    },
  },
  {
    method: "GET",
    path: "/",
    access: "public",
    handle: async (ctx) => {
      const user = sessionUser(ctx);
      if (!user) {
        return {
          status: 401,
          html: renderMessage(
            "Not logged in",
            "Open the SolusIO user area from your billing system's client area.",
          ),
        };
      }
      const pricing = await pricingForUser(ctx.em, user);
      return {
        status: 200,
        html: renderUserArea(ctx.em.state, user, ctx.em.now(), pricing),
        headers: { "cache-control": "no-store" },
      };
    },
  },
  {
    method: "POST",
    path: "/logout",
    access: "public",
    handle: (ctx) => {
      const id = ctx.cookies[SESSION_COOKIE];
      if (id) closeSession(ctx.em.state, id);
      return { status: 303, headers: { location: "/", "set-cookie": sessionCookie("", 0) }, html: "" };
    },
  },
];
