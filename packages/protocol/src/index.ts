/**
 * The Allowance protocol in code: the `ai_allowance` authorization details type, money, periods,
 * narrowing, prices, request checks, token claims, metadata and gateway errors. Pure functions
 * and zod schemas, no I/O. The spec in `spec/` is normative; this package must agree with it.
 */
export { addressAllowed, parseAddressBlocks } from './address-blocks.js';
export {
  AI_ALLOWANCE_TYPE,
  type AiAllowance,
  type ApprovedAiAllowance,
  aiAllowanceSchema,
  approvedAiAllowanceSchema,
  authorizationDetailsSchema,
  budgetSchema,
  modelIdSchema,
  providerIdSchema,
  qualifiedProvider,
  scopeSchema,
} from './allowance-details.js';
export {
  type AllowanceStatus,
  allowanceStatusSchema,
  type GrantStatus,
  grantStatusSchema,
} from './allowance-status.js';
export {
  type AnomalyPolicy,
  anomalyPolicySchema,
  DEFAULT_ANOMALY_POLICY,
  describeAnomalyPolicy,
} from './anomaly-policy.js';
export { type CallAllowed, type CallRequest, checkRequest } from './check-request.js';
export {
  type ApiFamily,
  anthropicErrorBodySchema,
  errorTypeForStatus,
  GATEWAY_ERRORS,
  type GatewayErrorCode,
  gatewayErrorBody,
  openAiErrorBodySchema,
  type Refusal,
  refusal,
} from './errors.js';
export { JSON_SCHEMAS, jsonSchemaDocument } from './json-schemas.js';
export {
  type AllowanceMetadata,
  allowanceMetadataSchema,
  authorizationServerMetadataSchema,
  PROTOCOL_VERSION,
  protectedResourceMetadataSchema,
} from './metadata.js';
export {
  type ModelTarget,
  modelAllowed,
  resolveTarget,
  type TargetQuery,
  type WalletProvider,
} from './model-target.js';
export {
  currencyCode,
  formatMoney,
  MAX_MONEY_MICROS,
  MICROS_PER_UNIT,
  moneyString,
  parseMoney,
  positiveMoneyString,
} from './money.js';
export { type NarrowOptions, type NarrowResult, type NarrowViolation, narrow } from './narrow.js';
export {
  type AddressClass,
  checkConnectedAddress,
  checkProviderBaseUrl,
  classifyAddress,
  classifyHost,
  type DestinationPolicy,
  type DestinationProblem,
  type DestinationVerdict,
  FORBIDDEN_ADDRESS_CLASSES,
  type HostClass,
} from './network-addresses.js';
export {
  isValidTimeZone,
  PERIODS,
  type Period,
  type PeriodWindow,
  periodSchema,
  periodWindow,
  timeZoneSchema,
} from './periods.js';
export {
  costOf,
  DEFAULT_PRICES,
  findPrice,
  type ModelPrice,
  modelPriceSchema,
  type PriceLookup,
  type PriceTable,
  priceTableSchema,
  type ResolvedPrice,
  type Usage,
  worstCaseCost,
} from './prices.js';
export {
  ACCESS_TOKEN_TYPES,
  type AccessTokenClaims,
  accessTokenClaimsSchema,
  accessTokenHeaderSchema,
  SIGNING_ALGORITHMS,
} from './token-claims.js';
