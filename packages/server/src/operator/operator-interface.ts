import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { DashboardDependencies } from '../dashboard/dashboard-dependencies.js';
import { NextApprovals } from './next-approval.js';
import { operatorAuth } from './operator-auth.js';
import { OperatorError, operatorErrors } from './operator-errors.js';
import { operatorRoutes } from './operator-routes.js';
import { TestUserRecord } from './test-user.js';

/** The interface's only bind address: it is for a test harness on the same machine, never the network. */
export const OPERATOR_HOST = '127.0.0.1';

/** A listening operator interface. */
export interface OperatorInterface {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** What the consent step calls to fill in a staged approval (`InteractionDependencies.nextApproval`). */
  readonly nextApprovals: NextApprovals;
  close(): Promise<void>;
}

/**
 * Starts the test-mode operator interface (spec 8.2: the driver operations of a consent driver,
 * as HTTP; conformance/OPERATOR.md) on its own listener on 127.0.0.1. Every request needs the
 * operator token. It logs one warning when it listens, never the token.
 */
export async function startOperatorInterface(
  options: { port: number; token: string; stateFile?: string; logger: Logger },
  dependencies: DashboardDependencies,
): Promise<OperatorInterface> {
  const testUser = new TestUserRecord(options.stateFile);
  const nextApprovals = new NextApprovals(dependencies.store, testUser);
  const app = new Koa();
  app.use(operatorErrors(options.logger));
  app.use(operatorAuth(options.token));
  for (const router of operatorRoutes({ ...dependencies, testUser, nextApprovals })) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: false }));
  }
  app.use(async (context) => {
    if (context.status === 404 && context.body === undefined)
      throw new OperatorError(404, 'not_found', `No operation ${context.method} ${context.path}.`);
  });
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port, OPERATOR_HOST, () => resolve(listening));
    listening.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `The operator interface port ${options.port} is in use: choose another operatorInterface.port.`,
            )
          : error,
      ),
    );
  });
  const { port } = server.address() as AddressInfo;
  options.logger.warn(
    { operatorInterface: `${OPERATOR_HOST}:${port}` },
    `test-mode operator interface listening on ${OPERATOR_HOST}:${port}: anyone with its token controls the test user's wallet; never enable it in production`,
  );
  return {
    url: `http://${OPERATOR_HOST}:${port}`,
    nextApprovals,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
