import { z } from "zod";

// Identifiers are compared as written: a repeated (method, reference) is the same payment, never a second one
// (billing-rules §7). A character that shows nothing defeated that: "DUP-1" + U+200B was a second payment,
// listed as "DUP-1". So identifiers refuse Unicode's format characters (Cf) and every other default-ignorable
// code point, rather than strip them: stripped, a retry of a reference stored before this rule (invisible
// character and all) would no longer match it and would be recorded again. Names and free text are not
// identifiers and keep them (src/kernel/clean-text.ts): Persian needs ZWNJ, emoji need ZWJ.

/**
 * Format characters (zero-width space and joiners, soft hyphen, word joiner, U+FEFF, U+FFF9–U+FFFB, bidi
 * marks, tags…) and the other default-ignorable code points (variation selectors, Hangul fillers, the
 * combining grapheme joiner…): all show nothing, or nothing a reader can tell apart.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/** The first invisible character of `text`, as "U+200B at character 6" (counted in code points), if any. */
export function invisibleCharacterIn(text: string): string | undefined {
  let position = 0;
  for (const character of text) {
    position++;
    if (INVISIBLE.test(character)) {
      const code = character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
      return `U+${code} at character ${position}`;
    }
  }
  return undefined;
}

/**
 * An identifier people type or paste (a payment reference, an API key's name): spaces around it are dropped
 * (JavaScript's trim: NBSP and U+FEFF included), it is 1 to `max` characters, and it holds no invisible
 * character, refused naming the first one.
 */
export function identifierText(max: number, lengthMessage?: string) {
  return z
    .string()
    .trim()
    .min(1, lengthMessage ?? "must not be empty")
    .max(max, lengthMessage ?? `must be at most ${max} characters`)
    .superRefine((text, zctx) => {
      const invisible = invisibleCharacterIn(text);
      if (invisible)
        zctx.addIssue({
          code: "custom",
          message: `must not contain invisible characters (${invisible}): it is compared as written, and would look like another`,
        });
    });
}
