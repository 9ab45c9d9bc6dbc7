export { alive } from './alive.js';
export { Children } from './children.js';
export { type BuiltPackageCopy, copyBuiltPackage } from './copy-built-package.js';
export { type FakeAgentOptions, fakeAgent, fakeAgentArgs, fakeAgentPath } from './fake-agent.js';
export { type LineReader, spawnLineReader } from './line-reader.js';
export { defaultsMissingFromReadme } from './readme-defaults.js';
export { seededRandom } from './seeded-random.js';
export { canSetLastPid, spawnAtPid } from './spawn-at-pid.js';
export { type UntilOptions, until } from './until.js';
