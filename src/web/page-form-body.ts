import type { FastifyInstance } from "fastify";

// A page's form is parsed as a browser reads one (URLSearchParams), into what @fastify/formbody gave the
// pages before: an object without a prototype, a repeated field an array, + a space. One difference from
// it: a field whose percent-encoding is not UTF-8 (%ED%A0%80, the bytes of a lone surrogate, or a cut-off
// %C3) is no longer taken as its encoded spelling. formbody's parser gives such a value back as it arrived,
// so until 2026-12-07 a customer could be created named "%ED%A0%80", and an encoded bidi override beside such
// bytes went past the text check as plain ASCII. A browser never sends these bytes (it encodes text as
// UTF-8); an edited page or a tool can. The field is decoded as a browser decodes it (each broken sequence
// one U+FFFD), the replacement characters taken out, and named in request.undecodedFormFields for the text
// check (page-text-input.ts), which refuses the form beside the field.

declare module "fastify" {
  interface FastifyRequest {
    /** The form's fields whose percent-encoding was not UTF-8 (page-form-body.ts); unset when there were none. */
    undecodedFormFields?: string[];
  }
}

const FORM_TYPE = "application/x-www-form-urlencoded";

/** Replaces the server's form parser for the pages registered on `pages` (an encapsulated scope). */
export function installPageFormBody(pages: FastifyInstance): void {
  pages.removeContentTypeParser(FORM_TYPE);
  pages.addContentTypeParser(FORM_TYPE, { parseAs: "string" }, (request, body, done) => {
    const { fields, undecoded } = parsePageForm(body as string);
    if (undecoded.length > 0) request.undecodedFormFields = undecoded;
    done(null, fields);
  });
}

/** The form's fields, and the names of those whose key or value was not UTF-8 (a key's as it arrived). */
export function parsePageForm(text: string): {
  fields: Record<string, string | string[]>;
  undecoded: string[];
} {
  // No prototype: a field named __proto__ stays a field.
  const fields: Record<string, string | string[]> = Object.create(null);
  const undecoded = new Set<string>();
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const at = pair.indexOf("=");
    const [rawKey, rawValue] = at === -1 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)];
    const key = decoded(rawKey);
    const value = decoded(rawValue);
    // A field name no form of ours has: kept as it came, its value dropped; the form is refused as damaged.
    const name = key === undefined ? rawKey : key;
    if (key === undefined || value === undefined) undecoded.add(name);
    const text = key === undefined ? "" : (value ?? lenient(rawValue).replaceAll("\uFFFD", ""));
    const before = fields[name];
    fields[name] = before === undefined ? text : [before, text].flat();
  }
  return { fields, undecoded: [...undecoded] };
}

const STRICT = new TextDecoder("utf-8", { fatal: true });
const LENIENT = new TextDecoder("utf-8");

/** A form component as a browser decodes it, or undefined when its bytes are not UTF-8. */
function decoded(component: string): string | undefined {
  if (!component.includes("%")) return component.replaceAll("+", " ");
  try {
    return STRICT.decode(percentDecoded(component));
  } catch {
    return undefined;
  }
}

function lenient(component: string): string {
  return LENIENT.decode(percentDecoded(component));
}

/** The bytes a browser reads from a form component: %XX a byte, a % without two hex digits itself, + a space. */
function percentDecoded(component: string): Uint8Array {
  const text = Buffer.from(component.replaceAll("+", " "), "utf8");
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === 0x25 ? text.subarray(i + 1, i + 3).toString("latin1") : "";
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(text[i]!);
  }
  return Uint8Array.from(bytes);
}
