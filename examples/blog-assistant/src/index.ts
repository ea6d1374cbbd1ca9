/** The blog assistant example, as a function the demo and the browser test start. */
export { type BlogAssistantOptions, explain, startBlogAssistant } from './blog-assistant.js';
