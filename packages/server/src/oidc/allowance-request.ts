import { aiAllowanceSchema } from '@allowance/protocol';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { ServerConfig } from '../config.js';

/**
 * Validates the `ai_allowance` entry of an authorization, PAR or device authorization request
 * (spec 03-allowance-object): exactly one entry, every field well-formed and nothing unknown,
 * the budget in the wallet's currency, an expiry in the future. oidc-provider calls this per
 * entry after checking the type is registered.
 */
export function validateAllowanceRequest(
  context: KoaContextWithOIDC,
  detail: unknown,
  config: ServerConfig,
): void {
  const all = context.oidc.params?.authorization_details;
  if (typeof all === 'string') {
    const entries = JSON.parse(all) as unknown[];
    if (entries.length !== 1) {
      throw new errors.InvalidAuthorizationDetails(
        'authorization_details must hold exactly one ai_allowance entry',
      );
    }
  }
  const parsed = aiAllowanceSchema.safeParse(detail);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'ai_allowance';
    throw new errors.InvalidAuthorizationDetails(`${where}: ${issue?.message ?? 'invalid'}`);
  }
  const allowance = parsed.data;
  if (allowance.budget && allowance.budget.currency !== config.currency) {
    throw new errors.InvalidAuthorizationDetails(
      `budget.currency: this wallet counts in ${config.currency}, not ${allowance.budget.currency}`,
    );
  }
  if (allowance.expires_at && Date.parse(allowance.expires_at) <= Date.now()) {
    throw new errors.InvalidAuthorizationDetails('expires_at: must be in the future');
  }
}
