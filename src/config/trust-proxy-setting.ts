import { isIP } from "node:net";
import { z } from "zod";
import { refusal } from "./setting-kinds.ts";

// TRUST_PROXY, the one setting that is a yes/no, a number or a list of addresses: which hops in front of
// tokenbill may name the client's address.

/** The most proxies TRUST_PROXY may count in front of tokenbill. */
const MOST_PROXY_HOPS = 16;
const TRUST_PROXY_FORMS = `must be true or false, a number of proxies in front (0 to ${MOST_PROXY_HOPS}, written in digits), or a comma-separated list of the proxies' IP addresses or CIDR ranges`;

/** An IP address, or a CIDR range (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrRange(text: string): boolean {
  const [address = "", prefix, ...more] = text.split("/");
  const version = isIP(address);
  if (version === 0 || more.length > 0) return false;
  if (prefix === undefined) return true;
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * Which hops in front of tokenbill are proxies whose X-Forwarded-For is believed (src/http/client-address.ts):
 * false (none: the client address is the socket's), a number of hops (yes is 1: the one proxy in front), or
 * the proxies' addresses and CIDR ranges. Yes meant "every hop" until 2026-12-04, so the client address was
 * the left-most X-Forwarded-For entry, which the client writes when the proxy appends to the header.
 */
export const trustProxySetting = z.preprocess(
  (v) => {
    if (v === true) return 1;
    if (v === false) return 0;
    if (typeof v !== "string") return v;
    const text = v.trim();
    if (text === "") return undefined;
    // Taken as written, as the numbers are; spaces after a list's commas are fine.
    if (text !== v) return v;
    if (["true", "yes"].includes(text)) return 1;
    if (["false", "no"].includes(text)) return 0;
    if (/^[0-9]{1,16}$/.test(text)) return Number(text);
    return text
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
  },
  z
    .union(
      [
        z
          .number({ error: TRUST_PROXY_FORMS })
          .int({ error: TRUST_PROXY_FORMS })
          .min(0, { error: TRUST_PROXY_FORMS })
          .max(MOST_PROXY_HOPS, { error: TRUST_PROXY_FORMS }),
        z
          .array(z.string({ error: TRUST_PROXY_FORMS }), { error: TRUST_PROXY_FORMS })
          .min(1, { error: TRUST_PROXY_FORMS })
          .superRefine((list, ctx) => {
            const bad = list.find((item) => !isAddressOrRange(item));
            if (bad !== undefined)
              ctx.addIssue({
                code: "custom",
                message: `${TRUST_PROXY_FORMS}; ${JSON.stringify(bad)} is neither an IP address nor a CIDR range`,
              });
          }),
      ],
      { error: refusal(TRUST_PROXY_FORMS) },
    )
    .default(0)
    .transform((v): false | number | readonly string[] => (v === 0 ? false : v)),
);

/**
 * TRUST_PROXY as `tokenbill config`, the start log and the console print it: a hop count says it counts
 * proxies, as `true` (held as 1) printed `1`, which read as a yes/no or as "every hop". Off stays `false`.
 */
export function describeTrustProxy(setting: false | number | readonly string[]): unknown {
  if (typeof setting !== "number") return setting;
  return `${setting} ${setting === 1 ? "proxy" : "proxies"} in front`;
}
