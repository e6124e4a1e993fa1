// A stored error's text (a billing run's `error`, a job's `last_error`, a customer's `sync_error`, a SolusIO
// call's `error`) as a reader below admin reads it: the failure's own text can name where a system is (a
// refused connection's "127.0.0.1:9", a name lookup's host, a proxy's page), and only the text was kept, not
// the error that upstreamWords would word. The rest stays: how the call failed and SolusIO's own words are
// what billing needs to run again and support to help a customer (a sync conflict names a user's e-mail).

const HIDDEN = "(address hidden)";

/** What names a place in an error's text: URLs, IP addresses, host:port, the host a lookup or a certificate named. */
const ADDRESSES: readonly [RegExp, string][] = [
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, HIDDEN],
  [/\b(ENOTFOUND|EAI_AGAIN|ESERVFAIL)\s+[^\s,;)]+/g, `$1 ${HIDDEN}`],
  [/\b(Host|DNS|IP Address):\s?[^\s,;)]+/g, `$1: ${HIDDEN}`],
  [/\[?(?=[0-9a-fA-F:]*::)[0-9a-fA-F:]{2,}\]?(?::\d{1,5})?/g, HIDDEN],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, HIDDEN],
  // Lower case only, with a letter: "2026-10-01T00:00:00Z" and "attempt 2: POST" are no host and port.
  [
    /\b(?=[a-z0-9.-]*[a-z])[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*:\d{1,5}\b/g,
    HIDDEN,
  ],
];

/**
 * `text` for a reader who sees where systems are (seesWhereSystemsAre: owners, admins, admin keys, the CLI):
 * as stored (its URLs' credentials masked already, storedErrorText); for anyone else with every address hidden.
 */
export function storedErrorWords<T extends string | null>(text: T, seesWhere: boolean): T {
  if (text === null || seesWhere) return text;
  let shown: string = text;
  for (const [pattern, replacement] of ADDRESSES) shown = shown.replace(pattern, replacement);
  return shown as T;
}
