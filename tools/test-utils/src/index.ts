export { type BuiltPackageCopy, copyBuiltPackage } from './copy-built-package.js';
export { type FakeAgentOptions, fakeAgent, fakeAgentArgs, fakeAgentPath } from './fake-agent.js';
