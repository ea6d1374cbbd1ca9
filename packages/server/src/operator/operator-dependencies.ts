import type { DashboardDependencies } from '../dashboard/dashboard-dependencies.js';
import type { NextApprovals } from './next-approval.js';
import type { TestUserRecord } from './test-user.js';

/** What the operator interface's routes need: the dashboard's own, and the test-mode state. */
export interface OperatorDependencies extends DashboardDependencies {
  testUser: TestUserRecord;
  nextApprovals: NextApprovals;
}
