// The path of a request as the emulator's faults, links and logs see it: raw (not decoded), no query.

export const CONTROL_PREFIX = "/_emulator";

export function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/** The path without trailing slashes ("/api/v1/users/" → "/api/v1/users"); the router ignores them too. */
export function routePath(url: string): string {
  const path = pathOf(url);
  return path.length > 1 ? path.replace(/\/+$/, "") || "/" : path;
}

/** Paths as logged: a login token in the path is a secret. */
export function loggablePath(path: string): string {
  return path.replace(/^\/auth\/by_token\/.*/, "/auth/by_token/***");
}
