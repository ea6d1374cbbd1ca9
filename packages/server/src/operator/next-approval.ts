import type { Store } from '@allowance/store';
import type { Form } from '../pages/form-body.js';
import { approvalFields, type OperatorApproval, overlayFields } from './approval-fields.js';
import type { TestUserRecord } from './test-user.js';

/**
 * The approvals staged with `PUT /next-approval`, one per client: the test user's next approval
 * of a consent for that client fills them into the consent form, as a person would before
 * pressing Approve, and the form then goes through the same reader and `narrow` as any other
 * (spec NAR rules): a broader approval is clamped or refused exactly as the page would. Each is
 * used once. The consent step consults them only when the operator interface is enabled.
 */
export class NextApprovals {
  readonly #staged = new Map<string, OperatorApproval>();

  constructor(
    private readonly store: Store,
    private readonly testUser: TestUserRecord,
  ) {}

  stage(clientId: string, approval: OperatorApproval): void {
    this.#staged.set(clientId, approval);
  }

  /**
   * The consent form to read for this approval: the submitted one with the staged approval
   * filled in, once, when the approver is the test user; otherwise the submitted form.
   */
  async apply(accountId: string, clientId: string, form: Form): Promise<Form> {
    const approval = this.#staged.get(clientId);
    if (!approval) return form;
    const testUser = await this.testUser.accountId(this.store).catch(() => undefined);
    if (testUser !== accountId) return form;
    this.#staged.delete(clientId);
    return overlayFields(form, approvalFields(approval));
  }
}
