export type { DpopOutcome } from './dpop-outcome.js';
export {
  createDpopVerifier,
  type DpopCheck,
  type DpopVerifier,
  type DpopVerifierOptions,
} from './dpop-verifier.js';
export {
  type DpopReplayCache,
  type MemoryReplayCache,
  type MemoryReplayCacheOptions,
  memoryReplayCache,
} from './replay-cache.js';
export { type DpopNonces, type RotatingNoncesOptions, rotatingNonces } from './rotating-nonces.js';
