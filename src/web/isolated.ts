// A name or reason a person typed may be written right to left (Arabic, Hebrew). Set inline next to our own
// words, its direction would pull the neighbouring text with it: "(4)" after an Arabic name showed on its
// left. Templates wrap such text in <bdi>; a sentence built here, which is escaped as text, isolates it with
// the Unicode characters that do the same (FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, UAX #9).

/** `text` set off from the text around it, its direction taken from its own first strong letter. */
export function isolated(text: string): string {
  return `\u2068${text}\u2069`;
}
