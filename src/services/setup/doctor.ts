import type { Kysely } from "kysely";
import { type Config, maskUrl } from "../../config.ts";
import type { Database } from "../../db/schema.ts";
import type { SolusioSettings } from "../../solusio/schemas.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import type { SolusioError } from "../../solusio/solusio-error.ts";
import { bindingMismatch, identifySolusio, readBinding } from "../../solusio/solusio-binding.ts";
import { checkBillingIntegration } from "./billing-integration-check.ts";
import { planSetup } from "./plan-setup.ts";
import { pricingUrl } from "./pricing-url.ts";

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

const SETUP_FIX = "run `tokenbill solusio setup --apply`";

/** Is this SolusIO the one the database belongs to? Read only: doctor never binds. */
async function bindingCheck(
  db: Kysely<Database>,
  connection: Parameters<typeof identifySolusio>[0],
): Promise<DoctorCheck> {
  const [bound, found] = await Promise.all([readBinding(db), identifySolusio(connection)]);
  if (!bound)
    return {
      name: "database binding",
      ok: true,
      detail: `not bound yet: the first sync or billing run binds this database to ${found.identity}`,
    };
  const problem = bindingMismatch(bound, found);
  return problem
    ? {
        name: "database binding",
        ok: false,
        detail: problem,
        fix: "configure the SolusIO this database belongs to",
      }
    : {
        name: "database binding",
        ok: true,
        detail: `this database belongs to this SolusIO (${bound.identity})`,
      };
}

/**
 * `tokenbill solusio doctor`: connectivity, the token's rights, every setup item, the user area, and
 * whether tokenbill's GetTokenPricing answers at the URL SolusIO is given. Never changes anything.
 */
export async function runDoctor(deps: {
  db: Kysely<Database>;
  api: SolusioApi;
  config: Config;
  apiUrl: string;
  userAreaUrl: string;
  sandbox?: boolean;
}): Promise<DoctorCheck[]> {
  const { api, config } = deps;
  const checks: DoctorCheck[] = [];

  try {
    const account = await api.account();
    checks.push({
      name: "connection",
      ok: true,
      detail: `reached ${maskUrl(deps.apiUrl)} as ${account.email}`,
    });
  } catch (error) {
    const e = error as SolusioError;
    const unauthorized = e.status === 401;
    checks.push({
      name: "connection",
      ok: false,
      detail: `${maskUrl(deps.apiUrl)}: ${e.message}`,
      fix: unauthorized
        ? "SOLUSIO_API_TOKEN is not accepted: create an API token for an admin user in SolusIO"
        : "check SOLUSIO_URL (it ends in /api/v1), the network, and SOLUSIO_TLS_INSECURE for self-signed certificates",
    });
    return checks; // nothing else can be checked without a connection
  }

  let settings: SolusioSettings;
  try {
    settings = await api.getSettings();
    checks.push({ name: "token rights", ok: true, detail: "the token may read and change settings" });
    checks.push(await bindingCheck(deps.db, { api, apiUrl: deps.apiUrl, sandbox: deps.sandbox ?? false }));
  } catch (error) {
    checks.push({
      name: "token rights",
      ok: false,
      detail: (error as Error).message,
      fix: "use an API token of a SolusIO user with the Admin role",
    });
    return checks;
  }

  const report = await planSetup(deps);
  const labels: Record<string, string> = {
    registration: "registration off",
    billing_integration: "billing integration",
    default_limit_group: "default limit group",
  };
  const keyed = new Map(report.steps.map((s) => [s.key, s]));
  const expected = [
    "registration",
    "billing_integration",
    ...config.SOLUSIO_LIMIT_GROUPS.map((g) => `limit_group:${g.name}`),
    ...(config.SOLUSIO_DEFAULT_LIMIT_GROUP ? ["default_limit_group"] : []),
  ];
  for (const key of expected) {
    if (key === "billing_integration") {
      // Read, not compared with what setup would write: any integration type that calls tokenbill passes.
      const verdict = checkBillingIntegration(settings, config);
      checks.push({
        name: labels[key]!,
        ok: verdict.ok,
        detail: verdict.detail,
        ...(verdict.ok ? {} : { fix: verdict.fix }),
      });
      continue;
    }
    const step = keyed.get(key);
    checks.push(
      step
        ? { name: labels[key] ?? key.replace(":", " "), ok: false, detail: step.summary, fix: SETUP_FIX }
        : { name: labels[key] ?? key.replace(":", " "), ok: true, detail: "as configured" },
    );
  }
  const planSteps = report.steps.filter((s) => s.key.startsWith("plan:"));
  checks.push({
    name: "plan prices",
    ok: planSteps.length === 0 && report.warnings.length === 0,
    detail:
      planSteps.length === 0 && report.warnings.length === 0
        ? "every priced plan matches tokenbill's price list"
        : [...planSteps.map((s) => s.summary), ...report.warnings].join("; "),
    ...(planSteps.length > 0
      ? { fix: SETUP_FIX }
      : report.warnings.length > 0
        ? { fix: "create the plan in SolusIO or remove its price" }
        : {}),
  });

  checks.push(
    await reachable(
      "user area",
      deps.userAreaUrl,
      "GET",
      "set SOLUSIO_USER_AREA_URL to the address customers open",
    ),
  );

  const url = pricingUrl(config);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        token: config.SOLUSIO_PRICING_TOKEN ?? "",
        action: "GetTokenPricing",
        userid: "0",
      }),
      signal: AbortSignal.timeout(5000),
    });
    // userid 0 is invalid on purpose: a 400 with our error envelope proves tokenbill itself answered.
    const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
    const ok = response.status === 400 && body.error?.code === "VALIDATION";
    checks.push({
      name: "GetTokenPricing",
      ok,
      detail: ok
        ? `tokenbill answers at ${url}`
        : `${url} answered ${response.status}, not tokenbill's GetTokenPricing`,
      ...(ok ? {} : { fix: "check TOKENBILL_PUBLIC_URL, PRICING_PATH and SOLUSIO_PRICING_TOKEN" }),
    });
  } catch (error) {
    checks.push({
      name: "GetTokenPricing",
      ok: false,
      detail: `${url}: ${(error as Error).message}`,
      fix: "start `tokenbill serve` and set TOKENBILL_PUBLIC_URL to the address SolusIO can reach",
    });
  }
  return checks;
}

async function reachable(name: string, url: string, method: string, fix: string): Promise<DoctorCheck> {
  try {
    const r = await fetch(url, { method, redirect: "manual", signal: AbortSignal.timeout(5000) });
    return r.status < 500
      ? { name, ok: true, detail: `${url} answers (${r.status})` }
      : { name, ok: false, detail: `${url} answered ${r.status}`, fix };
  } catch (error) {
    return { name, ok: false, detail: `${url}: ${(error as Error).message}`, fix };
  }
}
