import type { PagesRead } from "../solusio/read-pages-at-once.ts";

/** A walk shorter than this says nothing: most installations' users are read in a second or two. */
export const QUIET_MS = 2_000;
/** Off a terminal (a log, a pipe), a line at most this often. */
export const LINE_EVERY_MS = 10_000;

/**
 * Progress of a long walk of SolusIO's users on stderr (stdout keeps the result): on a terminal one line
 * redrawn at most once a second, elsewhere a line every LINE_EVERY_MS, nothing for the first QUIET_MS. Doctor
 * over 20,000 users reads 1,334 pages and said nothing for the half minute it took.
 */
export function walkProgress(
  label: string,
  out: { isTTY?: boolean; write(text: string): unknown } = process.stderr,
  now: () => number = Date.now,
): { update(p: PagesRead): void; done(): void } {
  const start = now();
  const every = out.isTTY ? 1_000 : LINE_EVERY_MS;
  let last = start + QUIET_MS - every;
  let drawn = false;
  return {
    update(p) {
      const t = now();
      if (t - last < every || p.read >= p.of) return;
      last = t;
      const text = `${label}: page ${p.read.toLocaleString("en-US")} of ${p.of.toLocaleString("en-US")}`;
      out.write(out.isTTY ? `\r\x1b[2K${text}` : `${text}\n`);
      drawn = true;
    },
    done() {
      if (drawn && out.isTTY) out.write("\n");
    },
  };
}
