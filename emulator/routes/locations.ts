import { notFound } from "../errors.ts";
import { paginate } from "../http/paginate.ts";
import { idParam, listPath } from "../http/params.ts";
import { actorOf, data, type Route } from "../http/route.ts";
import { presentLocation } from "../present/catalog.ts";
import { findLocation } from "../state/state.ts";

// Locations are read-only here (seeded). Users see visible ones only [OURS]; admins see all.
export const locationsRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/locations",
    access: "user",
    handle: (ctx) => {
      const admin = actorOf(ctx).isAdmin;
      const locations = ctx.em.state.locations.filter((l) => admin || l.isVisible);
      return { status: 200, json: paginate(locations, ctx.query, listPath(ctx), presentLocation) };
    },
  },
  {
    method: "GET",
    path: "/api/v1/locations/:id",
    access: "user",
    handle: (ctx) => {
      const id = idParam(ctx, "Location");
      const location = findLocation(ctx.em.state, id);
      if (!location || (!location.isVisible && !actorOf(ctx).isAdmin)) throw notFound(`Location ${id}`);
      return data(presentLocation(location));
    },
  },
];
