#!/usr/bin/env node
import { runCli, USAGE } from './cli.js';
import { ConfigurationError } from './validate.js';

try {
  await runCli(process.argv.slice(2), process.env, { output: process.stdout, signals: process });
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  process.stderr.write(`${error.message}\n\n${USAGE}\n`);
  process.exitCode = 2;
}
