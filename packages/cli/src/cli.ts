import { join, resolve } from 'node:path';
import { rotateSigningKey } from '@allowance/server';
import { createSealer, loadMasterKey, openStore } from '@allowance/store';
import { type RunningWallet, serveGateway, serveWallet } from './run-wallet.js';
import { parseFlags, readWalletOptions } from './wallet-options.js';

const USAGE = `Usage: allowance <command> [options]

Commands:
  serve      Run the whole wallet (authorization server and gateway) on one port.
  gateway    Run a gateway replica against the same data directory.
  keys rotate
             Make a new token signing key. The old public key stays published until tokens
             it signed have expired. Restart the wallet to start signing with the new key.

Options (also from a JSON file with --config or ALLOWANCE_CONFIG, and from the environment):
  --port <n>       port to listen on (PORT; default 8080)
  --host <addr>    address to bind (HOST; default 127.0.0.1)
  --issuer <url>   the wallet's public URL (ALLOWANCE_ISSUER; default http://localhost:<port>)
  --gateway <url>  the gateway's public URL (ALLOWANCE_GATEWAY; default <issuer>/gateway)
  --data <dir>     data directory (ALLOWANCE_DATA; default ./data)
  --config <file>  JSON config file
`;

/** Runs the `allowance` command; resolves with an exit code, or stays running until a signal. */
export async function runCli(argv: string[]): Promise<number | undefined> {
  const { command, flags } = parseFlags(argv);
  if (command === undefined || flags.help || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && !flags.help ? 2 : 0;
  }
  if (command === 'keys') return rotateKeys(argv, flags);
  if (command !== 'serve' && command !== 'gateway') {
    process.stderr.write(`allowance: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const options = readWalletOptions(flags);
  const wallet = command === 'serve' ? await serveWallet(options) : await serveGateway(options);
  describe(command, wallet);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stdout.write('Stopping…\n');
      wallet.close().finally(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

function describe(command: 'serve' | 'gateway', wallet: RunningWallet): void {
  const lines =
    command === 'serve'
      ? [
          `Allowance is running on ${wallet.url}`,
          `  wallet (issuer)     ${wallet.issuer}   sign up, add provider keys, see your apps`,
          `  gateway             ${wallet.gateway}`,
          `    OpenAI SDK        baseURL ${wallet.gateway}/v1`,
          `    Anthropic SDK     baseURL ${wallet.gateway}`,
          `  data directory      ${wallet.dataDirectory}`,
        ]
      : [
          `Allowance gateway replica on ${wallet.url}`,
          `  gateway ${wallet.gateway}, issuer ${wallet.issuer}`,
          `  data directory ${wallet.dataDirectory}`,
        ];
  process.stdout.write(`${lines.join('\n')}\nPress Ctrl+C to stop.\n`);
}

async function rotateKeys(argv: string[], flags: Record<string, string | boolean>): Promise<number> {
  if (!argv.includes('rotate')) {
    process.stderr.write(`allowance: "keys" takes "rotate"\n\n${USAGE}`);
    return 2;
  }
  const options = readWalletOptions(flags);
  const dataDirectory = resolve(options.dataDirectory);
  await using store = await openStore({ sqlite: join(dataDirectory, 'allowance.sqlite') });
  const kid = await rotateSigningKey(store, createSealer(loadMasterKey(dataDirectory).key), Date.now());
  process.stdout.write(
    `New signing key ${kid}. Restart the wallet (and its gateway replicas) to sign with it.\n`,
  );
  return 0;
}
