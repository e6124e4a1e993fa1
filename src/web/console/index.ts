import type { FastifyInstance } from "fastify";
import { registerFormAnswerAsset } from "../form-answer-asset.ts";
import type { WebDeps } from "../web-deps.ts";
import { registerApiKeyPages } from "./api-key-pages.ts";
import { registerBackupPages } from "./backup-pages.ts";
import { registerBillingRunPages } from "./billing-run-pages.ts";
import { registerCreditNotePages } from "./credit-note-pages.ts";
import { registerCustomerPages } from "./customer-pages.ts";
import { registerDunningPages } from "./dunning-pages.ts";
import { registerDashboardPages } from "./dashboard-pages.ts";
import { registerInvoicePages } from "./invoice-pages.ts";
import { registerJobPages } from "./job-pages.ts";
import { registerPaymentListPages } from "./payment-list-pages.ts";
import { registerLogPages } from "./log-pages.ts";
import { registerPricingPages } from "./pricing-pages.ts";
import { registerProviderEventPages } from "./provider-event-pages.ts";
import { registerSettingsPages } from "./settings-pages.ts";
import { registerSolusioPages } from "./solusio-pages.ts";
import { registerSubmitOnceAsset } from "./submit-once-asset.ts";

// The console's pages by area (docs/console.md describes each). Every route is `access: "staff"` unless it is
// one of the login pages of ../console-pages.ts; every page calls the same verbs as the admin API, and the
// verbs check the staff role.

export function registerConsoleAreas(app: FastifyInstance, deps: WebDeps): void {
  registerDashboardPages(app, deps);
  registerCustomerPages(app, deps);
  registerPricingPages(app, deps);
  registerBillingRunPages(app, deps);
  registerInvoicePages(app, deps);
  registerDunningPages(app, deps);
  registerPaymentListPages(app, deps);
  registerCreditNotePages(app, deps);
  registerSolusioPages(app, deps);
  registerLogPages(app, deps);
  registerJobPages(app, deps);
  registerProviderEventPages(app, deps);
  registerApiKeyPages(app, deps);
  registerSettingsPages(app, deps);
  registerBackupPages(app, deps);
  registerSubmitOnceAsset(app);
  registerFormAnswerAsset(app, "console");
}
