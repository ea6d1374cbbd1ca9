import { recordExchange } from './exchange-log.js';

/**
 * Records how the check derived a value it then compares (for example usage × price = cost), as
 * a note among the check's evidence, so that a reader of a failure sees the arithmetic and not
 * only the two numbers that differ.
 */
export function noteDerivation(what: string, derivation: string): void {
  recordExchange({
    method: 'NOTE',
    url: `derivation: ${what}`,
    requestHeaders: {},
    status: 0,
    responseHeaders: {},
    responseBody: derivation,
  });
}
