export { english, firstIssue } from './english.js';
