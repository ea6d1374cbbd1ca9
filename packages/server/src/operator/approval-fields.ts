import type { Form } from '../pages/form-body.js';

/** An `ai_allowance` object as the operator sends it: what the user approves, possibly broader than asked. */
export type OperatorApproval = Readonly<Record<string, unknown>>;

/** A form field's new value: `null` leaves the field out (an unticked box), a list repeats it. */
type FieldValue = string | readonly string[] | null;

/**
 * The consent form's fields (the limits form uses the same names) that an approval fills in, as
 * a person would type and tick them. Nothing here decides what may be approved: the form reader
 * and `narrow` do, exactly as for a submitted page.
 */
export function approvalFields(approval: OperatorApproval): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  const object = (value: unknown) =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  if (approval.providers !== undefined) fields.provider = list(approval.providers);
  if (approval.models !== undefined) fields.model = list(approval.models);
  if (approval.scopes !== undefined) fields.scope = list(approval.scopes);
  const budget = object(approval.budget);
  for (const limit of Array.isArray(budget?.limits) ? (budget.limits as unknown[]) : []) {
    const entry = object(limit);
    if (entry) fields[`budget.${String(entry.period)}`] = String(entry.amount ?? '');
  }
  const tokens = object(approval.tokens);
  if (tokens?.max_input_per_request !== undefined)
    fields['tokens.max_input_per_request'] = String(tokens.max_input_per_request);
  if (tokens?.max_output_per_request !== undefined)
    fields['tokens.max_output_per_request'] = String(tokens.max_output_per_request);
  for (const limit of Array.isArray(tokens?.limits) ? (tokens.limits as unknown[]) : []) {
    const entry = object(limit);
    if (entry) fields[`tokens.${String(entry.period)}`] = String(entry.tokens ?? '');
  }
  const rate = object(approval.rate);
  if (rate?.requests_per_minute !== undefined) fields.rate = String(rate.requests_per_minute);
  const confirm = object(approval.confirm_above);
  if (confirm?.amount !== undefined) fields.confirm_above = String(confirm.amount);
  if (approval.retention === 'none') fields.retention = 'none';
  // Leaving the box unticked is how the form says "provider_default", even over a hidden "none".
  if (approval.retention === 'provider_default') fields.retention = null;
  if (typeof approval.expires_at === 'string') fields.expires_on = approval.expires_at.slice(0, 10);
  return fields;
}

/**
 * The form as submitted with `fields` filled in over it: what a browser posts when the user
 * changes those fields on the page and leaves the rest as shown.
 */
export function overlayFields(form: Form, fields: Record<string, FieldValue>): Form {
  const result = new URLSearchParams(form);
  for (const [name, value] of Object.entries(fields)) {
    result.delete(name);
    if (value === null) continue;
    for (const item of typeof value === 'string' ? [value] : value) result.append(name, item);
  }
  return result;
}
