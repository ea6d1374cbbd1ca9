/**
 * What an app imports to connect to a user's Allowance wallet: discovery, the redirect flow (PAR,
 * PKCE S256, `authorization_details`), the device flow, self-refreshing rotating tokens with
 * optional DPoP, options ready for the official OpenAI and Anthropic SDKs, and typed errors for
 * the gateway's codes. Built on oauth4webapi.
 */

export type {
  AiAllowance,
  AllowanceMetadata,
  AllowanceStatus,
  ApprovedAiAllowance,
} from '@allowance/protocol';
export { AllowanceBuilder, allowance, type TokenLimits } from './allowance-builder.js';
export { AllowanceError, type AllowanceErrorOptions } from './allowance-error.js';
export type { AllowanceRequest } from './allowance-request.js';
export type { AllowanceDetails } from './allowance-validation.js';
export {
  AuthorizationDeniedError,
  InvalidAllowanceError,
  ReauthorizationRequiredError,
} from './authorization-errors.js';
export type {
  ConfirmationDecision,
  ConfirmationStatus,
  ConfirmationStatusSource,
  WaitForDecisionOptions,
} from './confirmation-decision.js';
export type { Connection, ConnectionOptions, SdkOptions } from './connection.js';
export type { DeviceAuthorization, DeviceAuthorizationOptions, WaitOptions } from './device-authorization.js';
export { type ClientRegistration, type DiscoveryOptions, discoverWallet } from './discover-wallet.js';
export type { DpopKeyPair } from './dpop-key.js';
export {
  BudgetExhaustedError,
  type Confirmation,
  ConfirmationDeniedError,
  ConfirmationRequiredError,
  GrantExpiredError,
  GrantRevokedError,
  GrantSuspendedError,
  ModelNotAllowedError,
  ProviderNotAllowedError,
  RateLimitedError,
  TokenBudgetExhaustedError,
} from './gateway-errors.js';
export type {
  AuthorizationOptions,
  AuthorizationStart,
  PendingAuthorization,
} from './redirect-authorization.js';
export type { SavedConnection } from './saved-connection.js';
export { toAllowanceError } from './to-allowance-error.js';
export type { Wallet } from './wallet.js';
