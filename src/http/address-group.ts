import { isIPv6 } from "node:net";

// Which addresses count as one client for the wrong-secret limit. An IPv4 address is one client. An IPv6
// client is usually given a whole /64 (a home, a VM, a cloud instance) and may take any address in it, so
// counting per address would give it 2^64 fresh counts: its failures are counted by /64. An IPv4-mapped
// IPv6 address (`::ffff:192.0.2.1`, a dual-stack socket) is its IPv4 address.

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The /64 of an IPv6 address (`2001:db8:1:2::/64`), an IPv4 address as it is, anything else unchanged. */
export function addressGroup(address: string): string {
  if (!address.includes(":")) return address;
  const mapped = MAPPED_IPV4.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.split("%")[0]!;
  if (!isIPv6(bare)) return address;
  const [head = "", tail] = bare.split("::");
  const headParts = head === "" ? [] : head.split(":");
  const tailParts = tail === undefined || tail === "" ? [] : tail.split(":");
  // An embedded IPv4 tail (`::1.2.3.4`) is two groups; only the first four groups matter here.
  const tailGroups = tailParts.flatMap((part) => (part.includes(".") ? ["0", "0"] : [part]));
  const zeros = Array<string>(Math.max(0, 8 - headParts.length - tailGroups.length)).fill("0");
  const groups = [...headParts, ...zeros, ...tailGroups].slice(0, 4);
  return `${groups.map((g) => Number.parseInt(g, 16).toString(16)).join(":")}::/64`;
}
