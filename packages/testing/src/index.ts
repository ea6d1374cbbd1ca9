/** Test helpers shared by the packages and the end-to-end tests. */

export { freePort } from './free-port.js';
export { type Page, ScriptedBrowser } from './scripted-browser.js';
