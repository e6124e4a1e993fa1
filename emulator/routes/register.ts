import { z } from "zod";
import { forbidden } from "../errors.ts";
import { data, type Route } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { createUser } from "../ops/users.ts";
import { presentUser } from "../present/users.ts";
import { EmailInput } from "../schemas.ts";
import { registrationAllowed } from "../state/state.ts";

// Self-registration in the user area, the bypass that seed step 4 closes: it works only while
// settings.features.allow_registration is on. The path and body are the emulator's own [OURS].

const Registration = z.object({
  email: EmailInput,
  password: z.string().min(8).max(255),
});

export const registerRoutes: Route[] = [
  {
    method: "POST",
    path: "/api/v1/auth/register",
    access: "public",
    handle: (ctx) => {
      if (!registrationAllowed(ctx.em.state)) {
        throw forbidden("Registration is disabled: accounts are created by the billing system.");
      }
      const body = parseInput(Registration, ctx.body);
      const user = createUser(ctx.em.state, ctx.em.now(), {
        email: body.email,
        password: body.password,
        status: "active",
      });
      return data(presentUser(ctx.em.state, user), 201);
    },
  },
];
