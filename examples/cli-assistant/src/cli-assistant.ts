import { allowance, type Connection, discoverWallet, toAllowanceError } from '@allowance/client';
import Anthropic from '@anthropic-ai/sdk';
import { readSavedConnection, writeSavedConnection } from './saved-connection.js';

/** What one run needs. */
export interface CliAssistantOptions {
  question: string;
  walletIssuer: string;
  clientId: string;
  model: string;
  configDirectory: string;
  /** Where to write what the user reads. */
  print: (line: string) => void;
}

/**
 * A terminal coding helper: connects to the user's wallet once with the device flow (RFC 8628),
 * keeps the connection in the user's config directory (0600), asks the model through the
 * Anthropic SDK, and prints what each call cost.
 */
export async function runCliAssistant(options: CliAssistantOptions): Promise<number> {
  const wallet = await discoverWallet(
    options.walletIssuer,
    { clientId: options.clientId },
    { allowInsecure: true },
  );
  const persist = (saved: Parameters<typeof writeSavedConnection>[1]) =>
    writeSavedConnection(options.configDirectory, saved);
  const saved = readSavedConnection(options.configDirectory);
  let connection: Connection;
  if (saved) {
    connection = wallet.restoreConnection(saved, { onRotate: persist });
  } else {
    const device = await wallet.startDeviceAuthorization({
      allowance: allowance()
        .providers('anthropic')
        .models(options.model)
        .budget('2.00', 'month')
        .tokens({ maxOutputPerRequest: 1024 })
        .build(),
    });
    options.print(`To connect your AI wallet, open ${device.verificationUriComplete}`);
    options.print(`and check that it shows the code ${device.userCode}.`);
    connection = await device.waitForApproval({ onRotate: persist });
    persist(connection.toJSON());
    options.print('Connected.');
  }
  const anthropic = new Anthropic({ ...connection.anthropic(), maxRetries: 0 });
  try {
    const { data, response } = await anthropic.messages
      .create({
        model: options.model,
        max_tokens: 1024,
        messages: [{ role: 'user', content: options.question }],
      })
      .withResponse();
    for (const block of data.content) if (block.type === 'text') options.print(block.text);
    const cost = response.headers.get('allowance-cost');
    const currency = response.headers.get('allowance-currency') ?? '';
    const remaining = response.headers.get('allowance-remaining');
    options.print(
      `— cost ${cost ?? 'unpriced'} ${currency}${remaining ? `, ${remaining} ${currency} left` : ''}`,
    );
    return 0;
  } catch (error) {
    const refusal = toAllowanceError(error);
    if (!refusal) throw error;
    options.print(`Your AI wallet said no: ${refusal.message} (${refusal.code})`);
    return 3;
  }
}
