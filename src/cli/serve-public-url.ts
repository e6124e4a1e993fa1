import { readSandboxAddress } from "../app/sandbox/sandbox-address.ts";
import type { Config } from "../config.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { UnfitConfigurationError } from "./unfit-configuration.ts";

// `solusio setup` tells SolusIO where to call GetTokenPricing and `doctor` calls it there: the address of
// the running `serve`. A command used to take it from its own HOST and PORT (publicUrl's fallback), which
// name where a serve *would* listen if this process were one: http://127.0.0.1:0 beside a PORT=0 serve,
// 0.0.0.0 behind a proxy. Only TOKENBILL_PUBLIC_URL, or the sandbox serve's own word, says it.

const NOT_SET =
  "TOKENBILL_PUBLIC_URL is not set: setup and doctor need the address where SolusIO reaches tokenbill's serve " +
  "(a command cannot know it); set it as serve has it, e.g. TOKENBILL_PUBLIC_URL=https://billing.example.com";
const SANDBOX_SILENT =
  "the sandbox serve on this DATA_DIR has not said where it listens (it started before it wrote that to " +
  "sandbox.json): restart it, or set TOKENBILL_PUBLIC_URL to its address";

/** `config` with TOKENBILL_PUBLIC_URL the running serve's: as configured, or as the sandbox serve wrote it. */
export function withServePublicUrl(config: Config, solusio: SolusioIntegration): Config {
  if (config.TOKENBILL_PUBLIC_URL) return config;
  if (!solusio.connection.sandbox) throw new UnfitConfigurationError(NOT_SET);
  const known = readSandboxAddress(config)?.tokenbillUrl;
  if (!known) throw new UnfitConfigurationError(SANDBOX_SILENT);
  return Object.freeze({ ...config, TOKENBILL_PUBLIC_URL: known });
}
