import type { Route } from "./route.ts";

// A tiny exact-segment router: enough for the few dozen routes here, and it knows which methods a path has,
// so an unsupported method is a 405 rather than a 404.

interface Compiled {
  route: Route;
  segments: string[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  readonly #routes: Compiled[] = [];

  add(routes: Route[]): void {
    for (const route of routes) this.#routes.push({ route, segments: split(route.path) });
  }

  match(method: string, path: string): { match?: Match; allowed: string[] } {
    const parts = split(path);
    const allowed: string[] = [];
    for (const { route, segments } of this.#routes) {
      const params = matchSegments(segments, parts);
      if (!params) continue;
      if (route.method === method) return { match: { route, params }, allowed };
      allowed.push(route.method);
    }
    return { allowed };
  }
}

function split(path: string): string[] {
  return path.split("/").filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const v = parts[i] as string;
    if (p.startsWith(":")) {
      try {
        params[p.slice(1)] = decodeURIComponent(v);
      } catch {
        return null;
      }
    } else if (p !== v) return null;
  }
  return params;
}
