import { z } from "zod";
import { FaultsInput } from "../http/faults.ts";
import { fieldError } from "../errors.ts";
import { SeedError } from "../state/fresh-install.ts";
import { data, type Route, type RouteContext } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { apiTimestamp } from "../present/time.ts";

// The emulator's own control endpoints (solusio-api.md §10), all behind the admin token except health.

const ClockInput = z
  .object({
    now: z.iso.datetime({ offset: true }).optional(),
    advance_hours: z.number().min(0).max(1_000_000).optional(),
    advance_minutes: z.number().min(0).max(60_000_000).optional(),
    advance_seconds: z.number().min(0).max(3_600_000_000).optional(),
    /** Default true when `now` is given: a set clock stays put until told otherwise. */
    frozen: z.boolean().optional(),
  })
  .refine(
    (c) => Object.keys(c).length > 0,
    "give now, advance_hours, advance_minutes, advance_seconds or frozen",
  );

const ResetInput = z.object({ seed: z.unknown().optional() });

function clockBody(ctx: RouteContext) {
  return data({ now: apiTimestamp(ctx.em.now().toISOString()), frozen: ctx.em.clock.frozen });
}

export const controlRoutes: Route[] = [
  { method: "GET", path: "/_emulator/health", access: "public", handle: () => data({ status: "ok" }) },
  { method: "GET", path: "/_emulator/clock", access: "emulator", handle: clockBody },
  {
    method: "POST",
    path: "/_emulator/clock",
    access: "emulator",
    handle: (ctx) => {
      const input = parseInput(ClockInput, ctx.body);
      const { clock } = ctx.em;
      if (input.now !== undefined) clock.set(new Date(input.now), input.frozen ?? true);
      const ms =
        (input.advance_hours ?? 0) * 3_600_000 +
        (input.advance_minutes ?? 0) * 60_000 +
        (input.advance_seconds ?? 0) * 1000;
      if (ms > 0) clock.advance(ms);
      if (input.now === undefined && input.frozen === false) clock.unfreeze();
      if (input.now === undefined && input.frozen === true) clock.set(clock.now(), true);
      return clockBody(ctx);
    },
  },
  {
    method: "POST",
    path: "/_emulator/reset",
    access: "emulator",
    handle: (ctx) => {
      const input = parseInput(ResetInput, ctx.body);
      try {
        ctx.em.reset(input.seed);
      } catch (e) {
        if (e instanceof SeedError) throw fieldError("seed", e.message);
        throw e;
      }
      return clockBody(ctx);
    },
  },
  {
    method: "GET",
    path: "/_emulator/faults",
    access: "emulator",
    handle: (ctx) => data(ctx.em.faults.list()),
  },
  {
    method: "POST",
    path: "/_emulator/faults",
    access: "emulator",
    handle: (ctx) => {
      const input = parseInput(FaultsInput, ctx.body);
      ctx.em.faults.replace("rules" in input ? input.rules : [input]);
      return data(ctx.em.faults.list());
    },
  },
  {
    method: "DELETE",
    path: "/_emulator/faults",
    access: "emulator",
    handle: (ctx) => {
      ctx.em.faults.clear();
      return data([]);
    },
  },
  { method: "GET", path: "/_emulator/state", access: "emulator", handle: (ctx) => data(ctx.em.state) },
];
