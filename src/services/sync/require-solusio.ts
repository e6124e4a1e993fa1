import { ServiceError } from "../../kernel/errors.ts";
import type { SolusioIntegration } from "../../solusio/integration.ts";
import type { ServiceContext } from "../../kernel/context.ts";

export const NOT_CONFIGURED =
  "no SolusIO is configured: set SOLUSIO_URL and SOLUSIO_API_TOKEN, or leave them unset for the sandbox";

export function requireSolusio(ctx: ServiceContext): SolusioIntegration {
  if (!ctx.solusio) {
    throw ServiceError.unavailable(NOT_CONFIGURED, "staff");
  }
  return ctx.solusio;
}
