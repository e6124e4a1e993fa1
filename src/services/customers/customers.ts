import { isAssignedCountryCode } from "../../domain/country-codes.ts";
import { assertConfiguredLimitGroup } from "./limit-group-choice.ts";
import { answerIdempotencyKey, claimIdempotencyKey } from "../../kernel/idempotency-key.ts";
import { z } from "zod";
import { endAllSessions } from "../staff/web-sessions.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { Tx } from "../../kernel/context.ts";
import { mapDbError } from "../../kernel/db-errors.ts";
import { offsetOf } from "../../kernel/pagination.ts";
import {
  assertPageOrCursor,
  cursorKeyId,
  countIfAsked,
  type KeysetPage,
  keysetPageOf,
  readCursor,
} from "../../kernel/list-cursor.ts";
import { enqueueCustomerSync } from "../sync/enqueue-customer-sync.ts";
import { assertClientGroupExists, assertCurrencyExists, assertTaxRuleExists } from "../references.ts";
import {
  type Customer,
  CustomerCreate,
  CustomerListQuery,
  CustomerUpdate,
  presentCustomer,
} from "./customer-schemas.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { id, IdParams } from "../../kernel/schemas.ts";
import { storedErrorWords } from "../setup/stored-error-words.ts";
import { ADMIN_ROLES, READ_ROLES, requireStaffRole, seesWhereSystemsAre } from "../staff/staff-roles.ts";
import { revokePortalTokens } from "../portal-accounts/portal-accounts.ts";
import { assertNoSolusioServers } from "./solusio-servers-guard.ts";

/** The customer row, locked for a change, or NOT_FOUND. */
async function lockCustomer(trx: Tx, customerId: bigint) {
  const row = await trx
    .selectFrom("customer")
    .selectAll()
    .where("id", "=", customerId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`customer ${customerId}`);
  return row;
}

async function assertEmailFree(trx: Tx, email: string, exceptId?: bigint): Promise<void> {
  let q = trx
    .selectFrom("customer")
    .select("id")
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email.toLowerCase()));
  if (exceptId !== undefined) q = q.where("id", "!=", exceptId);
  if (await q.executeTakeFirst())
    throw new ServiceError("CONFLICT", `a customer with e-mail ${email} already exists`);
}

/** "1 invoice", "2 payments": a count with its noun, for a message. */
function counted(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A customer's currency changes only while nothing is priced or paid in it. Its invoices (a draft is priced
 * in it too), payments and ledger entries keep the currency they were made in, while the statement, new
 * payments and credit follow the customer's current one (billing-rules §7): a change would hide what is
 * owed, turn the next payment into credit beside an unpaid invoice, and refuse the provider's payment for an
 * old invoice. Called with the customer row locked: every money event locks it first and a new invoice's
 * insert waits on it, so none commits between this check and the change.
 */
async function assertCurrencyChangeable(
  trx: Tx,
  customer: { id: bigint; currency_code: string },
  currency: string,
): Promise<void> {
  const from = customer.currency_code;
  if (currency === from) return;
  const held = await trx
    .selectNoFrom((eb) => [
      eb
        .selectFrom("invoice")
        .select((e) => e.fn.countAll().as("n"))
        .where("customer_id", "=", customer.id)
        .where("currency_code", "=", from)
        .as("invoices"),
      eb
        .selectFrom("payment")
        .select((e) => e.fn.countAll().as("n"))
        .where("customer_id", "=", customer.id)
        .where("currency_code", "=", from)
        .as("payments"),
      eb
        .selectFrom("ledger_entry")
        .select((e) => e.fn.countAll().as("n"))
        .where("customer_id", "=", customer.id)
        .where("currency_code", "=", from)
        .as("entries"),
    ])
    .executeTakeFirstOrThrow();
  const [invoices, payments, entries] = [Number(held.invoices), Number(held.payments), Number(held.entries)];
  if (invoices + payments + entries === 0) return;
  const parts = [
    invoices > 0 ? counted(invoices, "invoice", "invoices") : "",
    payments > 0 ? counted(payments, "payment", "payments") : "",
    entries > 0 ? counted(entries, "ledger entry", "ledger entries") : "",
  ].filter((p) => p !== "");
  const what = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
  const [keeps, them] = invoices + payments + entries === 1 ? ["keeps its", "it"] : ["keep their", "them"];
  const message =
    `cannot change from ${from} to ${currency}: the customer has ${what} in ${from}, which ${keeps} currency, ` +
    `and its statement and payments would then be in ${currency} without ${them}; a customer's currency can ` +
    "change only while it has no invoice (draft included), payment or ledger entry in its currency";
  throw new ServiceError("CONFLICT", `currency: ${message}`, [{ field: "currency", message }]);
}

async function checkReferences(trx: Tx, input: CustomerUpdate): Promise<void> {
  if (input.currency !== undefined) await assertCurrencyExists(trx, input.currency);
  if (input.client_group_id) await assertClientGroupExists(trx, input.client_group_id);
  if (input.tax_rule_id) await assertTaxRuleExists(trx, input.tax_rule_id);
}

function columns<T extends CustomerUpdate>(input: T) {
  const { currency, ...rest } = input;
  return { ...rest, ...(currency !== undefined ? { currency_code: currency } : {}) };
}

/**
 * A status set by staff is marked so (billing-rules §8): dunning never lifts it, and its reason is kept. A new
 * status without a reason clears the old reason; a reason alone re-labels the current status as staff's.
 */
function staffStatus(patch: CustomerUpdate, before?: { status: string }) {
  const changed = patch.status !== undefined && patch.status !== before?.status;
  if (!changed && patch.status_reason === undefined) return {};
  return { status_source: "staff" as const, status_reason: patch.status_reason ?? null };
}

/**
 * Refuses a country ISO 3166-1 did not assign ("XX", the reserved "UK"): the country chooses the tax rules.
 * Checked when a country is set, not when one is read, so a customer stored before 2026-12-06 with such a
 * code is still read, and saved with other changes, until its country is changed.
 */
function assertAssignedCountry(country: string): void {
  if (!isAssignedCountryCode(country))
    throw ServiceError.validation(
      "country",
      `${country} is not an assigned ISO 3166-1 alpha-2 country code; use one such as DE or GB`,
    );
}

export const createCustomer = defineVerb(CustomerCreate, async ({ ctx, input }): Promise<Customer> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  assertAssignedCountry(input.country);
  return withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    // With an Idempotency-Key (or a console form's key) a repeat answers the customer the first one made.
    await claimIdempotencyKey(tx, ctx.idempotency);
    await checkReferences(trx, input);
    await assertEmailFree(trx, input.email);
    const now = ctx.now();
    const row = await trx
      .insertInto("customer")
      .values({
        ...columns(input),
        ...(input.status !== "active" ? { status_source: "staff" as const } : {}),
        currency_code: input.currency,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((e) => mapDbError(e, `customer ${input.email}`));
    await enqueueCustomerSync(trx, row.id, undefined, true);
    const after = presentCustomer(row);
    await recordAudit(trx, ctx, {
      action: "create",
      entity: "customer",
      entityId: String(row.id),
      before: null,
      after,
    });
    await answerIdempotencyKey(tx, ctx.idempotency, after);
    return after;
  });
});

export const getCustomer = defineVerb(IdParams, async ({ ctx, input }): Promise<Customer> => {
  const seesWhere = seesWhereSystemsAre(ctx, await requireStaffRole(ctx, ...READ_ROLES));
  const row = await ctx.db.selectFrom("customer").selectAll().where("id", "=", input.id).executeTakeFirst();
  if (!row) throw ServiceError.notFound(`customer ${input.id}`);
  return presentCustomer(withSyncErrorFor(row, seesWhere));
});

/**
 * The customer's sync error as its reader may read it: support needs SolusIO's words to help the customer (a
 * conflict names the SolusIO user's e-mail), but below admin not where SolusIO is (a retried call's refused
 * host and port): storedErrorWords.
 */
function withSyncErrorFor<R extends { sync_error: string | null }>(row: R, seesWhere: boolean): R {
  return { ...row, sync_error: storedErrorWords(row.sync_error, seesWhere) };
}

/** `%text%` for ILIKE, with the pattern's own characters taken literally. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, "\\$&")}%`;
}

/** A cursor of the customer list holds its sort key, the customer id, as text. */
const CustomerKey = z.tuple([cursorKeyId]);

/** Customers by id, filtered; paged by `page`, or walked by `cursor` (meta.next_cursor). */
export const listCustomers = defineVerb(
  CustomerListQuery,
  async ({ ctx, input }): Promise<KeysetPage<Customer>> => {
    const seesWhere = seesWhereSystemsAre(ctx, await requireStaffRole(ctx, ...READ_ROLES));
    assertPageOrCursor(input);
    const { email, search, status, sync_state, client_group_id } = input;
    const filters = { email, search, status, sync_state, client_group_id };
    const after =
      input.cursor === undefined ? undefined : readCursor("customers", filters, CustomerKey, input.cursor);
    let q = ctx.db.selectFrom("customer");
    if (input.email) q = q.where("email", "ilike", likePattern(input.email));
    if (input.search) {
      const pattern = likePattern(input.search);
      q = q.where((eb) => eb.or([eb("email", "ilike", pattern), eb("name", "ilike", pattern)]));
    }
    if (input.status) q = q.where("status", "=", input.status);
    if (input.sync_state) q = q.where("sync_state", "=", input.sync_state);
    if (input.client_group_id) q = q.where("client_group_id", "=", input.client_group_id);
    let page = q
      .selectAll()
      .orderBy("id")
      .limit(input.per_page + 1);
    page = after ? page.where("id", ">", BigInt(after[0])) : page.offset(offsetOf(input));
    const [rows, count] = await Promise.all([page.execute(), countIfAsked(input, q)]);
    const shown = keysetPageOf(rows, count, input, {
      list: "customers",
      filters,
      keyOf: (r) => [String(r.id)],
    });
    return { data: shown.rows.map((r) => presentCustomer(withSyncErrorFor(r, seesWhere))), meta: shown.meta };
  },
);

export const updateCustomer = defineVerb(
  z.object({ id, patch: CustomerUpdate }),
  async ({ ctx, input }): Promise<Customer> => {
    await requireStaffRole(ctx, ...ADMIN_ROLES);
    assertConfiguredLimitGroup(ctx.config, input.patch.limit_group);
    return withTransaction(ctx, async (tx) => {
      const trx = tx.db;
      const before = await lockCustomer(trx, input.id);
      if (input.patch.country !== undefined && input.patch.country !== before.country)
        assertAssignedCountry(input.patch.country);
      await checkReferences(trx, input.patch);
      if (input.patch.currency !== undefined)
        await assertCurrencyChangeable(trx, before, input.patch.currency);
      if (input.patch.email !== undefined) await assertEmailFree(trx, input.patch.email, input.id);
      const row = await trx
        .updateTable("customer")
        .set({ ...columns(input.patch), ...staffStatus(input.patch, before), updated_at: ctx.now() })
        .where("id", "=", input.id)
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch((e) => mapDbError(e, `customer ${input.id}`));
      // Only what SolusIO holds (e-mail, status, limit group) needs a sync; prices are asked for live.
      const reachesSolusio = (["email", "status", "limit_group"] as const).some(
        (k) => input.patch[k] !== undefined && input.patch[k] !== before[k],
      );
      if (reachesSolusio) await enqueueCustomerSync(trx, input.id);
      // Login and reset links sent to the old address must not open the account any more, nor may a portal
      // session logged in with it (the address changes hands: a mailbox lost, an account passed on).
      if (input.patch.email !== undefined && input.patch.email !== before.email) {
        await revokePortalTokens(trx, ctx.now(), input.id);
        await endAllSessions(tx, { kind: "customer", customerId: input.id });
      }
      const after = presentCustomer(
        reachesSolusio ? { ...row, sync_state: "pending", sync_error: null } : row,
      );
      await recordAudit(trx, ctx, {
        action: "update",
        entity: "customer",
        entityId: String(input.id),
        before: presentCustomer(before),
        after,
      });
      return after;
    });
  },
);

export const deleteCustomer = defineVerb(IdParams, async ({ ctx, input }): Promise<void> => {
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  const asked = await ctx.db
    .selectFrom("customer")
    .select("solusio_user_id")
    .where("id", "=", input.id)
    .executeTakeFirst();
  if (!asked) throw ServiceError.notFound(`customer ${input.id}`);
  await assertNoSolusioServers(ctx, input.id, asked.solusio_user_id);
  await withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    const before = await lockCustomer(trx, input.id);
    // A sync stored another SolusIO user while SolusIO was asked: that user's servers were not counted.
    if (before.solusio_user_id !== null && before.solusio_user_id !== asked.solusio_user_id)
      throw new ServiceError(
        "CONFLICT",
        `customer ${input.id}'s SolusIO user changed while its servers were counted; try again`,
      );
    // Invoices are kept for the books: a customer who has any cannot be deleted (lock or suspend instead).
    const invoiced = await trx
      .selectFrom("invoice")
      .select("id")
      .where("customer_id", "=", input.id)
      .limit(1)
      .executeTakeFirst();
    if (invoiced)
      throw new ServiceError(
        "CONFLICT",
        `customer ${input.id} has invoices, which must be kept; suspend or lock the customer instead`,
      );
    await trx
      .deleteFrom("customer")
      .where("id", "=", input.id)
      .execute()
      .catch((e) => mapDbError(e, `customer ${input.id}`));
    await enqueueCustomerSync(trx, input.id, {
      email: before.email,
      solusioUserId: before.solusio_user_id === null ? null : String(before.solusio_user_id),
    });
    await recordAudit(trx, ctx, {
      action: "delete",
      entity: "customer",
      entityId: String(input.id),
      before: presentCustomer(before),
      after: null,
    });
  });
});
