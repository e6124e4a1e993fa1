import { type Config, maskUrl, maskUrlsIn } from "../../config.ts";
import type { DoctorCheck } from "./doctor.ts";
import { pricingUrl } from "./pricing-url.ts";

// The doctor's checks of addresses others are given: the user area customers open and tokenbill's
// GetTokenPricing URL SolusIO calls. Below admin a line names the address by its setting, never its value,
// as the settings page shows those settings only as set or not set (security.md); until 2026-12-07 every
// role read the URLs here.

/** A fetch that failed: its message is only "fetch failed"; its cause's code says why, and names no host. */
function unreached(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === "string" ? `not reached (${code})` : "not reached";
}

/**
 * The user area must answer its start page: a 2xx, a 3xx to its login page, or 401/403 (it asks a visitor
 * without a session to log in). Any other 4xx (a 404: nothing of SolusIO's there) is a wrong
 * SOLUSIO_USER_AREA_URL; a 5xx is SolusIO's web server failing.
 */
export async function userAreaCheck(url: string, seesWhere: boolean): Promise<DoctorCheck> {
  const name = "user area";
  // Masked as `tokenbill config` shows the setting: a password or a query token is not the doctor's to show.
  const shown = seesWhere ? maskUrl(url) : "the user area (SOLUSIO_USER_AREA_URL)";
  const wrongUrl =
    "set SOLUSIO_USER_AREA_URL to the address customers open (SolusIO's address, without /api/v1)";
  try {
    const r = await fetch(url, { method: "GET", redirect: "manual", signal: AbortSignal.timeout(5000) });
    await r.body?.cancel();
    if (r.status < 400 || r.status === 401 || r.status === 403)
      return { name, ok: true, detail: `${shown} answers (${r.status})` };
    return {
      name,
      ok: false,
      detail: `${shown} answered ${r.status}`,
      fix:
        r.status >= 500
          ? `the user area answered ${r.status}: SolusIO's web server is failing; check SolusIO and run doctor again`
          : wrongUrl,
    };
  } catch (error) {
    // fetch's refusal of a URL with credentials quotes it whole.
    const detail = seesWhere
      ? `${shown}: ${maskUrlsIn((error as Error).message)}`
      : `${shown}: ${unreached(error)}`;
    return { name, ok: false, detail, fix: wrongUrl };
  }
}

/** Whether tokenbill's own GetTokenPricing answers at the URL SolusIO is given. */
export async function getTokenPricingCheck(config: Config, seesWhere: boolean): Promise<DoctorCheck> {
  const name = "GetTokenPricing";
  const url = pricingUrl(config);
  const shown = seesWhere ? maskUrl(url) : "the GetTokenPricing URL (TOKENBILL_PUBLIC_URL and PRICING_PATH)";
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
    return {
      name,
      ok,
      detail: ok
        ? `tokenbill answers at ${shown}`
        : `${shown} answered ${response.status}, not tokenbill's GetTokenPricing`,
      ...(ok ? {} : { fix: "check TOKENBILL_PUBLIC_URL, PRICING_PATH and SOLUSIO_PRICING_TOKEN" }),
    };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: seesWhere
        ? `${shown}: ${maskUrlsIn((error as Error).message)}`
        : `${shown}: ${unreached(error)}`,
      fix: "start `tokenbill serve` and set TOKENBILL_PUBLIC_URL to the address SolusIO can reach",
    };
  }
}
