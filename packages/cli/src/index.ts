/** The `allowance` command, and the functions behind it for tests and embedding. */
export { runCli } from './cli.js';
export { type RunningWallet, serveGateway, serveWallet } from './run-wallet.js';
export { readWalletOptions, type WalletOptions } from './wallet-options.js';
