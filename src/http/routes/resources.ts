import {
  ClientGroup,
  ClientGroupCreate,
  ClientGroupUpdate,
  createClientGroup,
  deleteClientGroup,
  getClientGroup,
  listClientGroups,
  updateClientGroup,
} from "../../services/client-groups/client-groups.ts";
import {
  CurrencyCreate,
  Currency,
  CurrencyParams,
  CurrencyUpdate,
  createCurrency,
  deleteCurrency,
  getCurrency,
  listCurrencies,
  updateCurrency,
} from "../../services/currencies/currencies.ts";
import {
  Customer,
  CustomerCreate,
  CustomerListQuery,
  CustomerUpdate,
} from "../../services/customers/customer-schemas.ts";
import {
  createCustomer,
  deleteCustomer,
  getCustomer,
  listCustomers,
  updateCustomer,
} from "../../services/customers/customers.ts";
import {
  createDiscount,
  Discount,
  DiscountCreate,
  DiscountListQuery,
  DiscountUpdate,
  deleteDiscount,
  getDiscount,
  listDiscounts,
  updateDiscount,
} from "../../services/discounts/discounts.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import {
  createPlanPrice,
  deletePlanPrice,
  getPlanPrice,
  listPlanPrices,
  PlanPrice,
  PlanPriceCreate,
  PlanPriceUpdate,
  updatePlanPrice,
} from "../../services/plan-prices/plan-prices.ts";
import { IdParams } from "../../kernel/schemas.ts";
import {
  createTaxRule,
  deleteTaxRule,
  getTaxRule,
  listTaxRules,
  TaxRule,
  TaxRuleCreate,
  TaxRuleUpdate,
  updateTaxRule,
} from "../../services/tax-rules/tax-rules.ts";
import type { AnyRouteSpec } from "../route.ts";
import { crudRoutes } from "./crud-routes.ts";

export const resourceRoutes: AnyRouteSpec[] = [
  ...crudRoutes({
    path: "/api/v1/currencies",
    tag: "currencies",
    singular: "currency",
    key: CurrencyParams,
    keyName: "code",
    create: CurrencyCreate,
    update: CurrencyUpdate,
    listQuery: PageQuery,
    output: Currency,
    verbs: {
      create: createCurrency,
      get: getCurrency,
      list: listCurrencies,
      update: updateCurrency,
      remove: deleteCurrency,
    },
  }),
  ...crudRoutes({
    path: "/api/v1/customers",
    tag: "customers",
    singular: "customer",
    key: IdParams,
    keyName: "id",
    create: CustomerCreate,
    update: CustomerUpdate,
    listQuery: CustomerListQuery,
    output: Customer,
    cursor: true,
    removeDescription:
      "Refused with 409 when the customer has invoices, or when its SolusIO user still has servers (SolusIO " +
      "deletes no such user: delete the servers in SolusIO first, or suspend or lock the customer); with 503 " +
      "when SolusIO cannot be asked whether it has servers. Nothing is deleted then. A customer without a " +
      "SolusIO user is deleted without asking SolusIO.",
    // A signup flow that retries after a timeout gets the customer it made, not a 409 on its e-mail.
    idempotentCreate: true,
    verbs: {
      create: createCustomer,
      get: getCustomer,
      list: listCustomers,
      update: updateCustomer,
      remove: deleteCustomer,
    },
  }),
  ...crudRoutes({
    path: "/api/v1/client-groups",
    tag: "client-groups",
    singular: "client group",
    key: IdParams,
    keyName: "id",
    create: ClientGroupCreate,
    update: ClientGroupUpdate,
    listQuery: PageQuery,
    output: ClientGroup,
    verbs: {
      create: createClientGroup,
      get: getClientGroup,
      list: listClientGroups,
      update: updateClientGroup,
      remove: deleteClientGroup,
    },
  }),
  ...crudRoutes({
    path: "/api/v1/discounts",
    tag: "discounts",
    singular: "discount",
    key: IdParams,
    keyName: "id",
    create: DiscountCreate,
    update: DiscountUpdate,
    listQuery: DiscountListQuery,
    output: Discount,
    verbs: {
      create: createDiscount,
      get: getDiscount,
      list: listDiscounts,
      update: updateDiscount,
      remove: deleteDiscount,
    },
  }),
  ...crudRoutes({
    path: "/api/v1/tax-rules",
    tag: "tax-rules",
    singular: "tax rule",
    key: IdParams,
    keyName: "id",
    create: TaxRuleCreate,
    update: TaxRuleUpdate,
    listQuery: PageQuery,
    output: TaxRule,
    verbs: {
      create: createTaxRule,
      get: getTaxRule,
      list: listTaxRules,
      update: updateTaxRule,
      remove: deleteTaxRule,
    },
  }),
  ...crudRoutes({
    path: "/api/v1/plan-prices",
    tag: "plan-prices",
    singular: "plan price",
    key: IdParams,
    keyName: "id",
    create: PlanPriceCreate,
    update: PlanPriceUpdate,
    listQuery: PageQuery,
    output: PlanPrice,
    verbs: {
      create: createPlanPrice,
      get: getPlanPrice,
      list: listPlanPrices,
      update: updatePlanPrice,
      remove: deletePlanPrice,
    },
  }),
];
