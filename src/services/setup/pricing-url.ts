import { type Config, publicUrl } from "../../config.ts";

/** Where SolusIO must send GetTokenPricing: TOKENBILL_PUBLIC_URL + PRICING_PATH (solusio-api.md §8). */
export function pricingUrl(config: Config): string {
  return `${publicUrl(config).replace(/\/+$/, "")}${config.PRICING_PATH}`;
}
