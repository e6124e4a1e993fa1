import { ServiceError } from "../../kernel/errors.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";

/**
 * The SolusIO of this process (configured or sandbox: retries, timeouts, the call log). Billing reads
 * SolusIO only through it; without one the error names what to configure.
 */
export function configuredSolusioApi(ctx: Pick<ServiceContext, "config" | "solusio">): SolusioApi {
  const api = ctx.solusio?.connection.api;
  if (api) return api;
  const { SOLUSIO_URL: apiUrl, SOLUSIO_API_TOKEN: token } = ctx.config;
  if (!apiUrl) throw ServiceError.validation("SOLUSIO_URL", "is required to read usage from SolusIO");
  if (!token) throw ServiceError.validation("SOLUSIO_API_TOKEN", "is required to read usage from SolusIO");
  // Configured, yet not connected: a context built without its integration, which no adapter does.
  throw ServiceError.unavailable("SolusIO is configured, but this process is not connected to it", "staff");
}
