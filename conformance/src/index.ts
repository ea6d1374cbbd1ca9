/** The conformance suite's version, reported in every result file. */
export const SUITE_VERSION = '0.1.0';
