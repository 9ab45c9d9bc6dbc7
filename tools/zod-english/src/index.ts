export { english } from './english.js';
