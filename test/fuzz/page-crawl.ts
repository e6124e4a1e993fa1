// What the page fuzz (page-fuzz.db.test.ts) learns from the pages themselves: the links and forms a page
// draws, so that the paths it fuzzes name real records and the bodies it spoils start as the form a person
// would send. Nothing here knows a page by name; the route table says which paths are pages.

export interface PageRoute {
  method: string;
  /** Fastify's pattern, as `/console/customers/:id`. */
  url: string;
  access: "public" | "staff" | "customer";
}

export interface DrawnForm {
  /** The page that drew it: fetched again for a fresh one-time key before each sending. */
  page: string;
  /** Where it posts, as drawn (a real path). */
  action: string;
  /** Each field with the value the page gave it, in order; a select's first or selected option. */
  fields: [string, string][];
}

/** A regular expression matching the real paths of a route pattern. */
export function patternOf(url: string): RegExp {
  const escaped = url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/?#]+");
  return new RegExp(`^${escaped}$`);
}

const decode = (s: string) =>
  s
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

const attr = (tag: string, name: string) =>
  new RegExp(`\\s${name}="([^"]*)"`, "i").exec(tag)?.[1] ?? undefined;

/** Every same-site link's path and query the page draws (hrefs starting with `/`). */
export function linksOf(html: string): string[] {
  return [...html.matchAll(/\shref="(\/[^"]*)"/g)].map((m) => decode(m[1]!).split("#")[0]!);
}

/** Every POST form of the page with the fields it would send untouched. */
export function formsOf(html: string, page: string): DrawnForm[] {
  const forms: DrawnForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const open = m[1]!;
    if ((attr(open, "method") ?? "get").toLowerCase() !== "post") continue;
    const action = decode(attr(open, "action") ?? page.split("?")[0]!);
    forms.push({ page, action, fields: fieldsOf(m[2]!) });
  }
  return forms;
}

/** The query parameter names of a page's GET forms (a search, a filter) and of its links to itself. */
export function queryNamesOf(html: string, route: RegExp): string[] {
  const names = new Set<string>();
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi))
    if ((attr(m[1]!, "method") ?? "get").toLowerCase() === "get")
      for (const [name] of fieldsOf(m[2]!)) names.add(name);
  for (const link of linksOf(html)) {
    const [path, query] = link.split("?");
    if (query && route.test(path!)) for (const name of new URLSearchParams(query).keys()) names.add(name);
  }
  return [...names];
}

function fieldsOf(inner: string): [string, string][] {
  const fields: [string, string][] = [];
  const controls = /<(input|select|textarea)\b([^>]*)>([\s\S]*?<\/(?:select|textarea)>)?/gi;
  for (const m of inner.matchAll(controls)) {
    const [kind, tag, rest] = [m[1]!.toLowerCase(), m[2]!, m[3] ?? ""];
    const name = attr(tag, "name");
    if (name === undefined || /\sdisabled\b/i.test(tag)) continue;
    if (kind === "input") {
      const type = (attr(tag, "type") ?? "text").toLowerCase();
      if (type === "submit" || type === "button") continue;
      if ((type === "checkbox" || type === "radio") && !/\schecked\b/i.test(tag)) {
        // A radio group sends its first choice when none is checked here; a checkbox nothing.
        if (type === "radio" && !fields.some(([n]) => n === name))
          fields.push([name, decode(attr(tag, "value") ?? "on")]);
        continue;
      }
      const at = fields.findIndex(([n]) => n === name);
      const value = decode(attr(tag, "value") ?? (type === "checkbox" ? "on" : ""));
      if (type === "radio" && at >= 0) fields[at] = [name, value];
      else fields.push([name, value]);
    } else if (kind === "select") {
      const options = [...rest.matchAll(/<option\b([^>]*)>([^<]*)/gi)];
      const chosen = options.find((o) => /\sselected\b/i.test(o[1]!)) ?? options[0];
      fields.push([name, chosen ? decode(attr(chosen[1]!, "value") ?? chosen[2]!.trim()) : ""]);
    } else {
      fields.push([name, decode(rest.replace(/<\/textarea>$/i, ""))]);
    }
  }
  return fields;
}

/** The route a real path is an address of: a route without parameters first, as the router prefers it. */
export function routeOf<R extends { url: string }>(candidates: R[], path: string): R | undefined {
  return (
    candidates.find((r) => !r.url.includes(":") && r.url === path) ??
    candidates.find((r) => r.url.includes(":") && patternOf(r.url).test(path))
  );
}
