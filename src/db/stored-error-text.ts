import { maskUrlsIn } from "../config.ts";
import { replaceUnshowable } from "../kernel/clean-text.ts";

/**
 * An error's text as a column keeps it for staff to read (a job's last_error, a billing run's, a provider
 * event's, a customer's sync error, a SolusIO call's): a URL it quotes loses its credentials (maskUrlsIn),
 * as every staff role and key below admin reads these; it is cut to `max` characters after masking, so a cut
 * never leaves half a URL's password unmasked, and what PostgreSQL cannot store (a NUL, half a surrogate pair
 * the cut left) is replaced, so the write that records the failure does not fail itself.
 */
export function storedErrorText(text: string, max: number): string {
  return replaceUnshowable(maskUrlsIn(text).slice(0, max));
}
