import { afterAll, beforeAll } from "vitest";
import { type StripeWorld, startStripeWorld } from "../providers/testing/stripe-world.ts";

/**
 * A Stripe world (the fake Stripe, a test database and tokenbill's server wired to it: stripe-world.ts) for the
 * whole file, started before its first test and closed after its last: the set-up the card refund tests write
 * out. Read `world` inside tests and hooks, once it exists. The arguments are startStripeWorld's: `logger` is the
 * server's, so a file that reads what was logged passes a recording one (recordingLogger, ended-reservation.ts).
 */
export function stripeWorldPerFile(...options: Parameters<typeof startStripeWorld>): {
  readonly world: StripeWorld;
} {
  const file = {} as { world: StripeWorld };
  beforeAll(async () => {
    file.world = await startStripeWorld(...options);
  });
  afterAll(async () => {
    await file.world?.close();
  });
  return file;
}
