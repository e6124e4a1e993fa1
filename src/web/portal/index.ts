import type { FastifyInstance } from "fastify";
import { registerFormAnswerAsset } from "../form-answer-asset.ts";
import type { WebDeps } from "../web-deps.ts";
import { registerPortalControlPanelPages } from "./control-panel-pages.ts";
import { registerPortalCreditNotePages } from "./credit-note-pages.ts";
import { registerPortalInvoicePages } from "./invoice-pages.ts";
import { registerPortalOverviewPages } from "./overview-pages.ts";
import { registerPortalPaymentPages } from "./payment-pages.ts";
import { registerPortalProfilePages } from "./profile-pages.ts";
import { registerPortalStatementPages } from "./statement-pages.ts";

// The portal's pages after login (docs/portal.md describes each). Every route is `access: "customer"`, and
// every verb it calls takes the customer from the session (actors.customer), never from the URL or form.

export function registerPortalAreas(app: FastifyInstance, deps: WebDeps): void {
  registerPortalOverviewPages(app, deps);
  registerPortalInvoicePages(app, deps);
  registerPortalCreditNotePages(app, deps);
  registerPortalPaymentPages(app, deps);
  registerPortalStatementPages(app, deps);
  registerPortalProfilePages(app, deps);
  registerPortalControlPanelPages(app, deps);
  registerFormAnswerAsset(app, "portal");
}
