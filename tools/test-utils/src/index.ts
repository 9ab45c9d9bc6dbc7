export { type BuiltPackageCopy, copyBuiltPackage } from './copy-built-package.js';
