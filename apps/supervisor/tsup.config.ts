import { defineConfig } from 'tsup';
import { appBundleOptions } from '../../tsup.base';

// One runnable file, every dependency bundled (see appBundleOptions).
export default defineConfig(appBundleOptions);
