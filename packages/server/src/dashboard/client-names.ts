import type Provider from 'oidc-provider';

/** A client's display name by id; the id itself for a client the wallet no longer knows. */
export type ClientNames = (clientId: string) => string;

/**
 * Looks up the names of these clients once each (configured clients are in memory, registered
 * ones one row each). Names come from the app's registration: they are text to escape, not markup.
 */
export async function clientNames(provider: Provider, clientIds: Iterable<string>): Promise<ClientNames> {
  const names = new Map<string, string>();
  await Promise.all(
    [...new Set(clientIds)].map(async (clientId) => {
      const client = await provider.Client.find(clientId).catch(() => undefined);
      if (client?.clientName) names.set(clientId, client.clientName);
    }),
  );
  return (clientId) => names.get(clientId) ?? clientId;
}
