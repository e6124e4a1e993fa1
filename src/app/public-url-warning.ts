import { type Config, publicUrl } from "../config.ts";

// Without TOKENBILL_PUBLIC_URL, the links serve gives out (single sign-on into SolusIO's user area, the portal's
// e-mailed login and reset links) are built on HOST and PORT: the address serve listens on, which is
// 127.0.0.1 by default, 0.0.0.0 or a private address behind a proxy, and port 0 when it takes any free one. A
// customer's browser opens none of those. The sandbox names its own address on purpose (its SolusIO is in
// this process) and is not warned about.

/** What serve says at start when the links it gives out name its own HOST and PORT; undefined when they do not. */
export function publicUrlWarning(config: Config, sandbox: boolean): string | undefined {
  if (config.TOKENBILL_PUBLIC_URL !== undefined || sandbox) return undefined;
  return (
    `TOKENBILL_PUBLIC_URL is not set: single sign-on and the portal's e-mailed links name ${publicUrl(config)} ` +
    "(HOST and PORT), which customers' browsers cannot open unless they run on this machine; set " +
    "TOKENBILL_PUBLIC_URL to the address they reach tokenbill at, e.g. https://billing.example.com"
  );
}
