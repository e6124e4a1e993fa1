import type { ServiceContext } from "../kernel/context.ts";
import { UnfitConfigurationError } from "./unfit-configuration.ts";

// `billing run` (from SolusIO's usage endpoint) and `billing poll` read SolusIO, which a command has only when
// SOLUSIO_URL is set: the sandbox's emulator lives inside `tokenbill serve`. Without one they said
// "SOLUSIO_URL: is required…" with exit code 2 (invalid input), where a configuration this command cannot work
// with is 78 (README, exit codes), and left sandbox mode without a way to do what was asked.

/**
 * Refuses (exit code 78) when this command has no SolusIO, saying how `serve`'s admin API does the same
 * (`instead`: "bill the period through serve's admin API, POST …") and what a real SolusIO needs.
 */
export function requireSolusio(ctx: Pick<ServiceContext, "solusio">, reads: string, instead: string): void {
  if (ctx.solusio) return;
  throw new UnfitConfigurationError(
    `SOLUSIO_URL is not set, so this command has no SolusIO to ${reads}. In sandbox mode the emulator lives ` +
      `inside \`tokenbill serve\`: ${instead}. For a real SolusIO, set SOLUSIO_URL and SOLUSIO_API_TOKEN.`,
  );
}
