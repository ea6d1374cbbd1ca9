export type {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicMessagesRequest,
} from './anthropic-messages-request.js';
export {
  ANTHROPIC_BYTES_PER_TOKEN,
  ANTHROPIC_MEDIA_BLOCK_TOKENS,
  ANTHROPIC_REPLY_PRIMING_TOKENS,
  ANTHROPIC_TOKENS_PER_MESSAGE,
  approximateAnthropicTokens,
  countAnthropicInputTokens,
} from './anthropic-token-count.js';
export type { CallOutcome, SimulatedCall } from './call-log.js';
export type {
  OpenAIChatMessage,
  OpenAIChatRequest,
  OpenAIContentPart,
  OpenAIToolCall,
} from './openai-chat-request.js';
export {
  countCl100kTokens,
  countO200kTokens,
  countOpenAIPromptTokens,
  OPENAI_NON_TEXT_PART_TOKENS,
  OPENAI_REPLY_PRIMING_TOKENS,
  OPENAI_TOKENS_PER_MESSAGE,
  OPENAI_TOKENS_PER_NAME,
} from './openai-token-count.js';
export {
  DEFAULT_PROVIDERS,
  type IdGenerator,
  type ProviderConfig,
  type ProviderFamily,
  type ProviderSimOptions,
} from './options.js';
export {
  type PlannedChoice,
  predictAnthropicMessageResponse,
  predictOpenAIChatResponse,
  type ResponsePlan,
} from './predict-response.js';
export {
  FAULT_STATUSES,
  type FaultStatus,
  parseRules,
  type SimulatedFault,
  type SimulationRule,
} from './rules.js';
export { type ProviderSim, startProviderSim } from './simulator.js';
export {
  type AnthropicUsageObject,
  DEFAULT_RESPONSE_TOKENS,
  type OpenAIUsageObject,
  type ReportedUsage,
  type ResponseKnobs,
  toAnthropicUsageObject,
  toOpenAIUsageObject,
} from './usage.js';
export { ConfigurationError } from './validate.js';
