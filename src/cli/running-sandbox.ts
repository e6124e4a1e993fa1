import type { Config } from "../config.ts";
import { readSandboxAddress } from "../app/sandbox/sandbox-address.ts";
import type { ServiceContext } from "../kernel/context.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";

// The sandbox's SolusIO emulator lives inside `tokenbill serve`; a command on the same DATA_DIR reaches it
// over HTTP at the address serve left in sandbox.json. Commands that act on SolusIO (setup, doctor) need it,
// and so does what sandbox mode alone allows (a dunning run as of a future instant). The SolusIO client (undici,
// pino) is imported when a sandbox answers: the groups that import this file must not load it for `--help`.

/** The emulator of the sandbox `serve` runs on this data directory, if one answers there; else undefined. */
export async function runningSandbox(
  config: Config,
  ctx: Pick<ServiceContext, "db" | "logger">,
): Promise<SolusioIntegration | undefined> {
  const sandbox = readSandboxAddress(config);
  // The address a `serve` left behind stays when it stops: nothing listening there means no sandbox runs.
  if (!sandbox || !(await listening(sandbox.url))) return undefined;
  const { connectSolusio } = await import("../solusio/connect-solusio.ts");
  const { integrate } = await import("../solusio/integration.ts");
  const connection = connectSolusio(
    ctx.db,
    ctx.logger,
    {
      apiUrl: `${sandbox.url}/api/v1`,
      token: sandbox.adminToken,
      userAreaUrl: sandbox.url,
      tlsInsecure: false,
      timeoutMs: 5000,
      backoffBaseMs: config.SOLUSIO_RETRY_BACKOFF_MS,
    },
    true,
  );
  return integrate(connection, config);
}

/** Whether anything answers HTTP at `url` within a second. */
async function listening(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000), redirect: "manual" });
    return true;
  } catch {
    return false;
  }
}
