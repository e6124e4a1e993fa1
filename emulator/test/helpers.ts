import { type RunningEmulator, type StartEmulatorOptions, startEmulator } from "../start.ts";

// Shared by the emulator's tests: one emulator per test file over real HTTP on a random port, with the clock
// frozen so that hours are exact and nothing sleeps.

export const T0 = new Date("2026-10-01T00:00:00Z");
export const ADMIN_TOKEN = "test-admin-token-0123456789";

export function startTestEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, logger: false, now: T0, adminToken: ADMIN_TOKEN, ...opts });
}

type Loose = any;

export interface Reply<T = Loose> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface Client {
  get<T = Loose>(path: string): Promise<Reply<T>>;
  post<T = Loose>(path: string, body?: unknown): Promise<Reply<T>>;
  put<T = Loose>(path: string, body?: unknown): Promise<Reply<T>>;
  patch<T = Loose>(path: string, body?: unknown): Promise<Reply<T>>;
  del<T = Loose>(path: string): Promise<Reply<T>>;
  /** Any method, with a JSON body (DELETE servers/{id}/ips {ids}). */
  request<T = Loose>(method: string, path: string, body?: unknown): Promise<Reply<T>>;
}

/** `path` is relative to the API base (users?page=2) or absolute from the root when it starts with "/". */
export function client(em: RunningEmulator, token: string | null = em.adminToken): Client {
  const call = async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const url = path.startsWith("/") ? `${em.url}${path}` : `${em.apiUrl}/${path}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (token) headers["authorization"] = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: "manual",
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  return {
    get: (p) => call("GET", p),
    post: (p, b) => call("POST", p, b),
    put: (p, b) => call("PUT", p, b),
    patch: (p, b) => call("PATCH", p, b),
    del: (p) => call("DELETE", p),
    request: (m, p, b) => call(m, p, b),
  };
}

export async function reset(em: RunningEmulator, seed?: unknown): Promise<void> {
  const res = await client(em).post("/_emulator/reset", seed === undefined ? {} : { seed });
  if (res.status !== 200) throw new Error(`reset failed: ${res.status} ${res.text}`);
}

export async function setClock(em: RunningEmulator, body: Record<string, unknown>): Promise<void> {
  const res = await client(em).post("/_emulator/clock", body);
  if (res.status !== 200) throw new Error(`clock failed: ${res.status} ${res.text}`);
}

/** A small catalogue most tests start from. */
export const BASIC_SEED = {
  plans: [
    {
      id: 1,
      name: "1 Core, 1 GB RAM",
      tokens_per_hour: 7,
      tokens_per_month: 5000,
      ip_tokens_per_hour: 1,
      ip_tokens_per_month: 500,
      is_additional_ips_available: true,
      is_backup_available: true,
      backup_price: 10,
    },
    { id: 2, name: "Hourly only", tokens_per_hour: 7, tokens_per_month: 0 },
    { id: 3, name: "Monthly only", tokens_per_hour: 0, tokens_per_month: 5000 },
    { id: 4, name: "2 Cores, 4 GB RAM", tokens_per_hour: 28, tokens_per_month: 20000 },
    { id: 5, name: "Hidden", tokens_per_hour: 1, tokens_per_month: 100, is_visible: false },
  ],
  locations: [
    { id: 1, name: "Frankfurt" },
    { id: 2, name: "Hidden DC", is_visible: false },
  ],
  limit_groups: [
    {
      id: 1,
      name: "Two servers",
      vms: { limit: 2, is_enabled: true },
      running_vms: { limit: 1, is_enabled: true },
      additional_ips: { limit: 1, is_enabled: true },
    },
  ],
  users: [
    { id: 5, email: "alice@example.com", billing_user_id: 42, api_token: "alice-token-0123456789" },
    {
      id: 6,
      email: "bob@example.com",
      billing_user_id: 43,
      api_token: "bob-token-0123456789ab",
      limit_group: "Two servers",
    },
  ],
};

/** `PUT plans/{id}` as the Go SDK sends it (plans.go PlanUpdateRequest): the plan as shown, with `changes`. */
export async function updatePlanAsSdk(
  em: RunningEmulator,
  id: number | string,
  changes: Record<string, unknown>,
) {
  const p = (await client(em).get(`plans/${id}`)).body.data;
  return client(em).put(`plans/${id}`, {
    name: p.name,
    limits: p.limits,
    tokens_per_hour: p.tokens_per_hour,
    tokens_per_month: p.tokens_per_month,
    position: p.position,
    is_visible: p.is_visible,
    is_default: p.is_default,
    is_snapshots_enabled: p.is_snapshots_enabled,
    is_backup_available: p.is_backup_available,
    backup_price: p.backup_price,
    reset_limit_policy: p.reset_limit_policy,
    network_traffic_limit_type: p.network_traffic_limit_type,
    ...changes,
  });
}
