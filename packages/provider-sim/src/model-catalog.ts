import type { ProviderConfig } from './options.js';

/** A model as the models endpoints list it. */
export interface CatalogModel {
  readonly id: string;
  /** Release time, epoch seconds. */
  readonly created: number;
  /** Anthropic `display_name`; OpenAI ignores it. */
  readonly displayName: string;
  /** OpenAI `owned_by`. */
  readonly ownedBy: string;
}

// Release dates approximate the real ones, so lists sort roughly as they do upstream.
const OPENAI_MODELS: readonly CatalogModel[] = [
  openAIModel('gpt-4o', '2024-05-10'),
  openAIModel('gpt-4o-mini', '2024-07-16'),
  openAIModel('gpt-4.1', '2025-04-10'),
  openAIModel('gpt-4.1-mini', '2025-04-10'),
  openAIModel('gpt-5', '2025-08-05'),
  openAIModel('gpt-5-mini', '2025-08-05'),
  openAIModel('o3-mini', '2025-01-31'),
  openAIModel('text-embedding-3-small', '2024-01-22'),
  openAIModel('text-embedding-3-large', '2024-01-22'),
  openAIModel('text-embedding-ada-002', '2022-12-16'),
];

const DEEPSEEK_MODELS: readonly CatalogModel[] = [
  { id: 'deepseek-chat', created: 0, displayName: 'DeepSeek Chat', ownedBy: 'deepseek' },
  { id: 'deepseek-reasoner', created: 0, displayName: 'DeepSeek Reasoner', ownedBy: 'deepseek' },
];

const ANTHROPIC_MODELS: readonly CatalogModel[] = [
  anthropicModel('claude-opus-4-6', 'Claude Opus 4.6', '2026-02-05'),
  anthropicModel('claude-sonnet-4-6', 'Claude Sonnet 4.6', '2026-02-17'),
  anthropicModel('claude-opus-4-5', 'Claude Opus 4.5', '2025-11-24'),
  anthropicModel('claude-haiku-4-5', 'Claude Haiku 4.5', '2025-10-15'),
  anthropicModel('claude-sonnet-4-5', 'Claude Sonnet 4.5', '2025-09-29'),
];

/**
 * The models a provider lists: its configured `models`, else a catalogue for the well-known ids
 * (`openai`, `deepseek`, `anthropic`), else its family's catalogue. Newest first, as both APIs
 * list them.
 */
export function modelsOf(provider: ProviderConfig): readonly CatalogModel[] {
  if (provider.models !== undefined) {
    return provider.models.map((id) => ({ id, created: 0, displayName: id, ownedBy: provider.id }));
  }
  const catalogue =
    provider.id === 'deepseek'
      ? DEEPSEEK_MODELS
      : provider.family === 'openai'
        ? OPENAI_MODELS
        : ANTHROPIC_MODELS;
  return [...catalogue].sort((left, right) => right.created - left.created);
}

function openAIModel(id: string, releaseDate: string): CatalogModel {
  return { id, created: Date.parse(releaseDate) / 1000, displayName: id, ownedBy: 'system' };
}

function anthropicModel(id: string, displayName: string, releaseDate: string): CatalogModel {
  return { id, created: Date.parse(releaseDate) / 1000, displayName, ownedBy: 'anthropic' };
}
