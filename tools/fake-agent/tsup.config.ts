import { defineConfig } from 'tsup';
import { baseOptions } from '../../tsup.base';

export default defineConfig({
  ...baseOptions,
  entry: { 'fake-agent': 'src/fake-agent.ts' },
  dts: false,
});
