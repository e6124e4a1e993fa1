import { ServiceError } from "../../errors.ts";

/**
 * GET a JSON document from the SolusIO API: the one thing the usage sources need from HTTP. The lead's
 * SolusioClient (retries, call log) fits this shape through `client.getJson.bind(client)`.
 */
export type GetJson = (path: string, query: Record<string, string | number>) => Promise<unknown>;

/** A plain-fetch GetJson with `Authorization: Bearer`; no retries (the SolusIO client adds them). */
export function fetchGetJson(options: { apiUrl: string; token: string; timeoutMs?: number }): GetJson {
  const base = options.apiUrl.replace(/\/+$/, "");
  return async (path, query) => {
    const url = new URL(`${base}/${path.replace(/^\/+/, "")}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: "application/json", authorization: `Bearer ${options.token}` },
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new ServiceError("UPSTREAM_UNAVAILABLE", `SolusIO GET ${path}: ${(e as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ServiceError(
        "UPSTREAM_UNAVAILABLE",
        `SolusIO GET ${path} answered ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ServiceError(
        "UPSTREAM_UNAVAILABLE",
        `SolusIO GET ${path} answered with a body that is not JSON`,
      );
    }
  };
}
