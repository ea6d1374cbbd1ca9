import { type Compilable, type CompiledQuery, createQueryId, type Kysely, type QueryResult } from 'kysely';
import { directRunner } from './direct-statements.js';
import type { Database } from './schema.js';

/** A query built once and run many times with new values: see {@link preparedQuery}. */
export type PreparedQuery<Values, Row> = (
  executor: Kysely<Database>,
  values: Values,
) => Promise<QueryResult<Row>>;

/**
 * A query the hot path runs on every call, built with Kysely's query builder once per database
 * and then run with new values, instead of building and compiling the same tree again on every
 * call (BENCHMARKS.md, "Profiling and fixes": building and compiling some twenty small queries was a quarter of the gateway's
 * CPU). `build` receives `slot(name)`, a stand-in to use wherever a value goes; the compiled SQL
 * is the dialect's own (`?` for SQLite, `$1` for PostgreSQL), so the query stays as portable as
 * any other Kysely query. Each slot must reach the SQL as a bound parameter, never inlined; any
 * other value in `build` is a constant, bound the same on every run.
 *
 * @example
 * const grantStatus = preparedQuery<{ id: string }, { status: string }>((database, slot) =>
 *   database.selectFrom('grants').select('status').where('id', '=', slot('id')),
 * );
 * const { rows } = await grantStatus(store.database, { id: 'gr_1' });
 */
export function preparedQuery<Values extends object, Row>(
  build: (
    database: Kysely<Database>,
    slot: <Name extends keyof Values>(name: Name) => Values[Name],
  ) => Compilable<Row>,
): PreparedQuery<Values, Row> {
  // Keyed by the dialect's adapter, which a transaction's executor shares with its database: the
  // same query compiles to other SQL on another dialect.
  const byAdapter = new WeakMap<object, Compiled<Values>>();
  return (executor, values) => {
    const adapter = executor.getExecutor().adapter;
    let compiled = byAdapter.get(adapter);
    if (!compiled) {
      compiled = compile(executor, build);
      byAdapter.set(adapter, compiled);
    }
    const { sql, query, bindings } = compiled;
    const parameters = new Array<unknown>(bindings.length);
    for (let index = 0; index < bindings.length; index += 1) {
      const binding = bindings[index] as Binding<Values>;
      parameters[index] = 'slot' in binding ? values[binding.slot] : binding.constant;
    }
    // Straight to the connection when that is safe, past Kysely's executor (direct-statements.ts).
    const direct = directRunner(executor);
    if (direct) {
      try {
        const result = direct(sql, parameters);
        if (result) return Promise.resolve(result as QueryResult<Row>);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return executor.executeQuery<Row>({ sql, query, parameters, queryId: createQueryId() });
  };
}

const SLOT = '\u0000allowance-slot:';

type Binding<Values> = { slot: keyof Values } | { constant: unknown };

interface Compiled<Values> {
  sql: string;
  query: CompiledQuery['query'];
  bindings: Binding<Values>[];
}

function compile<Values extends object, Row>(
  executor: Kysely<Database>,
  build: (
    database: Kysely<Database>,
    slot: <Name extends keyof Values>(name: Name) => Values[Name],
  ) => Compilable<Row>,
): Compiled<Values> {
  const used = new Set<string>();
  const slot = <Name extends keyof Values>(name: Name): Values[Name] => {
    used.add(String(name));
    return `${SLOT}${String(name)}` as Values[Name];
  };
  const { sql, query, parameters } = build(executor, slot).compile();
  const bindings = parameters.map(
    (parameter): Binding<Values> =>
      typeof parameter === 'string' && parameter.startsWith(SLOT)
        ? { slot: parameter.slice(SLOT.length) as keyof Values }
        : { constant: parameter },
  );
  const bound = new Set(bindings.flatMap((binding) => ('slot' in binding ? [String(binding.slot)] : [])));
  if (bound.size < used.size) throw new Error('A prepared query inlined one of its slots.');
  return { sql, query, bindings };
}
