import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { UsagePeriod, UsageRecord } from "../domain/usage-record.ts";
import { listServerActivity, type ServerActivity } from "./list-activity.ts";
import { listSolusioServers, type ServerListing } from "./list-servers.ts";
import { listSolusioUsage } from "./list-usage.ts";
import { planUpdateBody } from "./plan-update-body.ts";
import {
  SolusioLimitGroup,
  SolusioPlan,
  SolusioPlanOfServer,
  SolusioSettings,
  SolusioToken,
  SolusioUser,
  single,
} from "./schemas.ts";
import type { CheckedList, ListOptions, SolusioClient } from "./solusio-client.ts";
import { SolusioError } from "./solusio-error.ts";
import { mayHoldBillingId, mayHoldEmail, unreadableUserError } from "./unreadable-users.ts";

// The SolusIO calls billing makes, named for what they do and shaped as the official modules send them
// (solusio-api.md §2–§7). Everything not verified in public sources is marked [OURS] and kept here.

export type UserStatus = "active" | "locked" | "suspended";

/**
 * How long SolusIO is asked while a person waits for a page (the portal's estimate, the console's
 * dashboard): all of that page's calls together, one attempt each, no retries, so that a slow SolusIO costs
 * the page seconds, not the retry budget (which with SOLUSIO_TIMEOUT_MS at 10 s passes a minute).
 */
export const INTERACTIVE_TIMEOUT_MS = 3_000;

/**
 * A look-up made inside a create's retry loop (findIfDone) is one attempt: the loop itself looks again before
 * its next attempt, so that one failed create costs a handful of calls, not retries of retries.
 */
const LOOK_UP_ONCE: ListOptions = { retries: 0 };

export class SolusioApi {
  constructor(readonly client: SolusioClient) {}

  /**
   * The same SolusIO (connections, call log) for the calls of one page view: they all end within `budgetMs`
   * from now, one attempt each. Make one per page view.
   */
  interactive(budgetMs = INTERACTIVE_TIMEOUT_MS): SolusioApi {
    return new SolusioApi(
      this.client.withOptions({ timeoutMs: budgetMs, maxRetries: 0, deadlineAt: Date.now() + budgetMs }),
    );
  }

  /** The same SolusIO for work that stops with the process: `signal` cancels its calls at once. */
  stoppedBy(signal: AbortSignal | undefined): SolusioApi {
    return signal ? new SolusioApi(this.client.withOptions({ signal })) : this;
  }

  account() {
    return this.client.call("GET", "account", { schema: single(SolusioUser) }).then((r) => r.data);
  }

  /** How the official modules find a user: search by e-mail (substring match), keep the exact match. */
  async findUserByEmail(email: string, options: ListOptions = {}): Promise<SolusioUser | undefined> {
    const { items, unreadable } = await this.client.listEach(
      "users",
      SolusioUser,
      { "filter[search]": email },
      options,
    );
    const odd = unreadable.find((u) => mayHoldEmail(u, email));
    if (odd) throw unreadableUserError(odd, `the e-mail ${email}`);
    return items.find((u) => u.email.toLowerCase() === email.toLowerCase());
  }

  /**
   * The user carrying this billing_user_id. `filter[billing_user_id]` is [OURS]: a SolusIO that ignores it
   * returns every user, and the exact match below still finds the right one (only slower).
   */
  async findUserByBillingId(billingUserId: number): Promise<SolusioUser | undefined> {
    return (await this.findUsersByBillingId(billingUserId))[0];
  }

  /**
   * Every user carrying this billing_user_id: normally none or one. More than one means a customer was
   * created twice in SolusIO (a create whose answer was lost and was repeated blindly, before 2026-12-04);
   * callers must not pick one.
   */
  async findUsersByBillingId(billingUserId: number): Promise<SolusioUser[]> {
    const { items, unreadable } = await this.client.listEach("users", SolusioUser, {
      "filter[billing_user_id]": billingUserId,
    });
    const odd = unreadable.find((u) => mayHoldBillingId(u, billingUserId));
    if (odd) throw unreadableUserError(odd, `billing_user_id ${billingUserId}`);
    return items.filter((u) => u.billing_user_id === billingUserId);
  }

  async getUser(id: number): Promise<SolusioUser | undefined> {
    try {
      return (await this.client.call("GET", `users/${id}`, { schema: single(SolusioUser) })).data;
    } catch (error) {
      if (error instanceof SolusioError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * The users one filter finds — carrying a billing_user_id, or matching an e-mail by SolusIO's substring
   * search — with the unreadable ones set apart, for the caller to decide about (reconciling one customer).
   */
  findUsersChecked(
    filter: { billingUserId: number } | { email: string },
  ): Promise<CheckedList<typeof SolusioUser>> {
    const query =
      "email" in filter
        ? { "filter[search]": filter.email }
        : { "filter[billing_user_id]": filter.billingUserId };
    return this.client.listEach("users", SolusioUser, query);
  }

  /**
   * Every user; those that do not match tokenbill's schema are set apart (unreadable-users.ts). A walk of
   * every user is a call per page (15 users a page by default): `atOnce` pages are asked for at a time.
   */
  listUsers(
    options: Pick<ListOptions, "atOnce" | "progress"> = {},
  ): Promise<CheckedList<typeof SolusioUser>> {
    return this.client.listEach("users", SolusioUser, {}, options);
  }

  createUser(input: {
    email: string;
    status: UserStatus;
    billingUserId: number;
    limitGroupId?: number | null;
  }) {
    const body = {
      email: input.email,
      // Users sign in through billing's single sign-on; a random password keeps the account closed otherwise.
      password: randomBytes(18).toString("base64url"),
      status: input.status,
      billing_user_id: input.billingUserId,
      ...(input.limitGroupId != null ? { limit_group_id: input.limitGroupId } : {}),
    };
    // A POST whose answer was lost (5xx, dropped, timed out, a 2xx that cannot be read) may have created the
    // user (solusio-api.md §1): before it is repeated, and before a 422 "taken" is believed, the user is
    // looked up by its exact e-mail and taken when it carries this customer's billing_user_id. A user with
    // the e-mail that is not ours is left to the caller's adoption rule, through the 422 the repeated POST
    // gets. The look-up is one attempt: the create's loop looks again before its next attempt.
    const findIfDone = async () => {
      const user = await this.findUserByEmail(input.email, LOOK_UP_ONCE);
      return user?.billing_user_id === input.billingUserId ? { data: user } : undefined;
    };
    return this.client
      .call("POST", "users", { body, schema: single(SolusioUser), findIfDone })
      .then((r) => r.data);
  }

  /** PUT always carries `status`: what PUT does to unsent fields is unverified (§2). */
  putUser(id: number, input: { status: UserStatus; billingUserId?: number; limitGroupId?: number | null }) {
    const body = {
      status: input.status,
      ...(input.billingUserId !== undefined ? { billing_user_id: input.billingUserId } : {}),
      ...(input.limitGroupId != null ? { limit_group_id: input.limitGroupId } : {}),
    };
    return this.client.call("PUT", `users/${id}`, { body, schema: single(SolusioUser) }).then((r) => r.data);
  }

  patchEmail(id: number, email: string) {
    return this.client
      .call("PATCH", `users/${id}`, { body: { email }, schema: single(SolusioUser) })
      .then((r) => r.data);
  }

  /** Deleting a user that is already gone counts as done. */
  async deleteUser(id: number): Promise<void> {
    try {
      await this.client.call("DELETE", `users/${id}`);
    } catch (error) {
      if (error instanceof SolusioError && error.status === 404) return;
      throw error;
    }
  }

  /**
   * Nothing is looked up before a repeated POST here: a token minted by an attempt whose answer was lost is
   * never seen by anyone, expires unused, and a new one is exactly as good.
   */
  async oneTimeLoginToken(userId: number): Promise<string> {
    const r = await this.client.call("POST", `users/${userId}/tokens`, {
      body: { is_one_time: true },
      schema: single(SolusioToken),
    });
    return r.data.access_token;
  }

  listLimitGroups() {
    return this.client.listAll("limit_groups", SolusioLimitGroup);
  }

  /**
   * [OURS] body: mirrors the object without ids (§4). A create whose answer was lost may have been done: the
   * group is looked up by name before the POST is repeated, so a retry never leaves two groups of one name.
   */
  createLimitGroup(group: LimitGroupSpec) {
    const findIfDone = async () => {
      const groups = await this.client.listAll("limit_groups", SolusioLimitGroup, {}, LOOK_UP_ONCE);
      const existing = groups.find((g) => g.name === group.name);
      return existing ? { data: existing } : undefined;
    };
    return this.client
      .call("POST", "limit_groups", {
        body: limitGroupBody(group),
        schema: single(SolusioLimitGroup),
        findIfDone,
      })
      .then((r) => r.data);
  }

  updateLimitGroup(id: number, group: LimitGroupSpec) {
    return this.client
      .call("PUT", `limit_groups/${id}`, { body: limitGroupBody(group), schema: single(SolusioLimitGroup) })
      .then((r) => r.data);
  }

  getSettings() {
    return this.client.call("GET", "settings", { schema: single(SolusioSettings) }).then((r) => r.data);
  }

  patchSettings(patch: Record<string, unknown>) {
    return this.client
      .call("PATCH", "settings", { body: patch, schema: single(SolusioSettings) })
      .then((r) => r.data);
  }

  /** Every plan; `answeredAt` gets SolusIO's time of the first page's answer (plan-price-changes.ts). */
  listPlans(answeredAt?: (date: Date) => void) {
    return this.client.listAll("plans", SolusioPlan, {}, answeredAt ? { answeredAt } : {});
  }

  /**
   * The plan's whole update body (plan-update-body.ts), read with `GET plans/{id}` just before the write so
   * that a setting changed since the plans were listed is sent back as it is now, not as it was.
   * `answeredAt` gets SolusIO's time of the answer: when the new prices took effect, as its clock says.
   */
  async updatePlanPrices(id: number, prices: PlanPrices, answeredAt?: (date: Date) => void) {
    const plan = (await this.client.call("GET", `plans/${id}`, { schema: single(SolusioPlan) })).data;
    return this.client
      .call("PUT", `plans/${id}`, {
        body: planUpdateBody(plan, prices),
        schema: single(SolusioPlan),
        ...(answeredAt ? { answeredAt } : {}),
      })
      .then((r) => r.data);
  }

  /**
   * How many servers this user has (`GET servers?filter[user_id]=`, solusio-api.md §6), all pages. Only
   * servers listed with this user as their owner count, so a SolusIO that ignored the filter still answers
   * right; one whose owner cannot be read counts too, as it may be this user's.
   */
  async countUserServers(userId: number): Promise<number> {
    const { items, unreadable } = await this.client.listEach("servers", ServerOwner, {
      "filter[user_id]": userId,
    });
    return items.filter((s) => s.user.id === userId).length + unreadable.length;
  }

  /** Every server, all pages, and SolusIO's time of the listing (usage source (b) records them at each poll). */
  listServers(): Promise<ServerListing> {
    return listSolusioServers(this.client);
  }

  /** The activity log's server events newer than `afterId`, all pages (usage source (c), §9 (c)). */
  listServerActivity(afterId = 0): Promise<ServerActivity[]> {
    return listServerActivity(this.client, afterId);
  }

  /**
   * Every plan with the prices a server on it is billed by (backup_price included), for source (c);
   * `answeredAt` gets SolusIO's time of the first page's answer.
   */
  listPlanPrices(answeredAt?: (date: Date) => void) {
    return this.client.listAll("plans", SolusioPlanOfServer, {}, answeredAt ? { answeredAt } : {});
  }

  /**
   * [OURS] A period's usage from the usage endpoint at `path` (SOLUSIO_USAGE_PATH), page by page
   * (solusio-api.md §9 (a)); the shape is known only to usage-schemas.ts.
   */
  listUsage(period: UsagePeriod, path = "usage"): AsyncIterable<UsageRecord> {
    return listSolusioUsage(this.client, period, path);
  }
}

/** What countUserServers reads of a server: its owner. */
const ServerOwner = z.looseObject({ user: z.looseObject({ id: z.number().int() }) });

export interface LimitGroupSpec {
  name: string;
  vms: number;
  running_vms: number;
  additional_ips: number;
}

/** A limit of -1 means unlimited in tokenbill's configuration; SolusIO expresses it as a disabled limit. */
export const limitOf = (n: number) => ({ limit: Math.max(n, 0), is_enabled: n >= 0 });

function limitGroupBody(g: LimitGroupSpec) {
  return {
    name: g.name,
    vms: limitOf(g.vms),
    running_vms: limitOf(g.running_vms),
    additional_ips: limitOf(g.additional_ips),
  };
}

export interface PlanPrices {
  tokens_per_hour: number;
  tokens_per_month: number;
  ip_tokens_per_hour: number;
  ip_tokens_per_month: number;
}

// The settings value for "Custom billing" is [OURS]: kept with the rest of billing_integration's shape.
export { customBillingIntegration } from "./billing-integration.ts";
