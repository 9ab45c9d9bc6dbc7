export { colorsEnabled, createSay } from './colors.js';
export { formatDuration } from './durations.js';
export { printJson } from './json.js';
