/**
 * The wallet's gateway: an OpenAI- and Anthropic-compatible resource server that verifies each
 * call's token and grant, reserves its worst-case cost, forwards it with the user's key, and
 * settles what it used.
 */
export { type GatewayConfig, type GatewayConfigInput, resolveGatewayConfig } from './config.js';
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
