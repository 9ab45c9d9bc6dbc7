export { hasMarker, mark } from './marker.js';
