import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseRules } from './rules.js';
import { type ProviderSim, startProviderSim } from './simulator.js';
import { ConfigurationError } from './validate.js';

/** Help text of `allowance-provider-sim`. */
export const USAGE = `Usage: allowance-provider-sim [--host 127.0.0.1] [--port 8090] [--rules rules.json]

Starts the OpenAI / Anthropic provider simulator.
  --host   interface to listen on (default 127.0.0.1)
  --port   port to listen on (default $PORT, else 8090; 0 picks a free port)
  --rules  JSON file holding an array of rules to start with
  --help   print this help`;

/** Settings of one CLI run. */
export interface CliSettings {
  readonly host: string;
  readonly port: number;
  readonly rulesFile: string | undefined;
  readonly help: boolean;
}

/**
 * Parses the command line; the port falls back to `environment.PORT`, then 8090.
 *
 * @throws {ConfigurationError} for an unknown flag or a bad port.
 */
export function parseCliArguments(
  argv: readonly string[],
  environment: Readonly<Record<string, string | undefined>>,
): CliSettings {
  let values: { host?: string; port?: string; rules?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        rules: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigurationError('argv', error instanceof Error ? error.message : String(error));
  }
  const portText = values.port ?? environment.PORT ?? '8090';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) {
    throw new ConfigurationError(
      values.port === undefined ? 'PORT' : '--port',
      `"${portText}" is not a port`,
    );
  }
  return { host: values.host ?? '127.0.0.1', port, rulesFile: values.rules, help: values.help === true };
}

/** One line per provider: id, family, base URL and key, then the control routes. */
export function describeSimulator(sim: ProviderSim): string {
  const width = Math.max(...sim.providers.map((provider) => provider.id.length));
  const lines = sim.providers.map(
    (provider) =>
      `  ${provider.id.padEnd(width)}  ${provider.family.padEnd(9)}  ${sim.baseURL(provider.id)}  key ${provider.apiKey}`,
  );
  return [
    `Provider simulator listening on ${sim.url}`,
    ...lines,
    `  control: GET|POST ${sim.url}/_sim/rules, GET|DELETE ${sim.url}/_sim/calls`,
  ].join('\n');
}

/** Where a CLI run writes and which process signals stop it. */
export interface CliIo {
  readonly output: { write(text: string): unknown };
  readonly signals: {
    once(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
    off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  };
}

/**
 * Runs the CLI: starts the simulator, prints where each provider is, and closes it cleanly on
 * SIGINT or SIGTERM (a second signal then gets the default behaviour, so it can force an exit).
 * Resolves with the running simulator, or `undefined` after `--help`.
 */
export async function runCli(
  argv: readonly string[],
  environment: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<ProviderSim | undefined> {
  const settings = parseCliArguments(argv, environment);
  if (settings.help) {
    io.output.write(`${USAGE}\n`);
    return undefined;
  }
  const rules =
    settings.rulesFile === undefined
      ? []
      : parseRules(JSON.parse(await readFile(settings.rulesFile, 'utf8')) as unknown, settings.rulesFile);
  const sim = await startProviderSim({ host: settings.host, port: settings.port, rules });
  io.output.write(`${describeSimulator(sim)}\n`);
  const stop = (): void => {
    io.signals.off('SIGINT', stop);
    io.signals.off('SIGTERM', stop);
    io.output.write('Shutting down the provider simulator\n');
    void sim.close();
  };
  io.signals.once('SIGINT', stop);
  io.signals.once('SIGTERM', stop);
  return sim;
}
