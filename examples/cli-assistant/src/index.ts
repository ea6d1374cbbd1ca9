/** The CLI assistant example, as a function tests and the demo run in-process. */
export { type CliAssistantOptions, runCliAssistant } from './cli-assistant.js';
export { defaultConfigDirectory, readSavedConnection, writeSavedConnection } from './saved-connection.js';
