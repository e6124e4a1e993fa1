import { ServiceError } from "../kernel/errors.ts";
import type { Tx } from "../kernel/context.ts";

// Checks that a referenced record exists, so bad input gets an error naming the field instead of a
// bare foreign-key violation.

export async function assertCurrencyExists(trx: Tx, code: string, field = "currency"): Promise<void> {
  const row = await trx.selectFrom("currency").select("code").where("code", "=", code).executeTakeFirst();
  if (!row) throw ServiceError.validation(field, `unknown currency ${code}; create it first`);
}

export async function assertClientGroupExists(trx: Tx, id: bigint, field = "client_group_id"): Promise<void> {
  const row = await trx.selectFrom("client_group").select("id").where("id", "=", id).executeTakeFirst();
  if (!row) throw ServiceError.validation(field, `no client group with id ${id}`);
}

export async function assertTaxRuleExists(trx: Tx, id: bigint, field = "tax_rule_id"): Promise<void> {
  const row = await trx.selectFrom("tax_rule").select("id").where("id", "=", id).executeTakeFirst();
  if (!row) throw ServiceError.validation(field, `no tax rule with id ${id}`);
}

export async function assertCustomerExists(trx: Tx, id: bigint, field = "customer_id"): Promise<void> {
  const row = await trx.selectFrom("customer").select("id").where("id", "=", id).executeTakeFirst();
  if (!row) throw ServiceError.validation(field, `no customer with id ${id}`);
}
