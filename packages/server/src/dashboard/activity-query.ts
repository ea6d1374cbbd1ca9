import type { LedgerCursor, LedgerEntry } from '@allowance/store';

/** Calls per page of the activity log. */
export const ACTIVITY_PAGE_SIZE = 50;

/** The activity log's query string, read: filters and where the page starts. */
export interface ActivityQuery {
  app: string | undefined;
  model: string | undefined;
  cursor: LedgerCursor | undefined;
}

const CURSOR = /^(\d{1,16})~(.{1,256})$/s;

/** The position of a row, as it travels in a link. */
export function cursorOf(row: Pick<LedgerEntry, 'started_at' | 'id'>): string {
  return `${Number(row.started_at)}~${row.id}`;
}

function parseCursor(
  value: string | undefined,
  direction: LedgerCursor['direction'],
): LedgerCursor | undefined {
  const match = value ? CURSOR.exec(value) : null;
  if (!match) return undefined;
  return { startedAt: Number(match[1]), id: match[2] ?? '', direction };
}

const text = (value: unknown, limit: number): string | undefined => {
  const single = Array.isArray(value) ? value[0] : value;
  return typeof single === 'string' && single.trim() !== '' ? single.trim().slice(0, limit) : undefined;
};

/**
 * Reads `?app=&model=&before=&after=`: `before` pages to older calls, `after` to newer ones. A
 * malformed cursor is ignored (first page), never an error.
 */
export function readActivityQuery(query: Record<string, unknown>): ActivityQuery {
  return {
    app: text(query.app, 256),
    model: text(query.model, 256),
    cursor: parseCursor(text(query.before, 300), 'older') ?? parseCursor(text(query.after, 300), 'newer'),
  };
}

/** A link to the activity log with these filters, starting after or before a row. */
export function activityLink(
  filters: { app: string | undefined; model: string | undefined },
  page?: { before?: string; after?: string },
): string {
  const parameters = new URLSearchParams();
  if (filters.app) parameters.set('app', filters.app);
  if (filters.model) parameters.set('model', filters.model);
  if (page?.before) parameters.set('before', page.before);
  if (page?.after) parameters.set('after', page.after);
  const search = parameters.toString();
  return search ? `/activity?${search}` : '/activity';
}
