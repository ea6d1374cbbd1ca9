import type Router from '@koa/router';
import { accessTokens } from './access-tokens.js';
import { confirmationDecision } from './confirmation-decision.js';
import { grantOperations } from './grant-operations.js';
import { ledgerRows } from './ledger-rows.js';
import type { OperatorDependencies } from './operator-dependencies.js';
import { walletOperations } from './wallet-operations.js';

/** Every route of the operator interface (conformance/OPERATOR.md), one router a group. */
export function operatorRoutes(dependencies: OperatorDependencies): Router[] {
  return [
    walletOperations(dependencies),
    grantOperations(dependencies),
    ledgerRows(dependencies),
    confirmationDecision(dependencies),
    accessTokens(dependencies),
  ];
}
