import { describe, expect, it } from 'vitest';
import { buildProgram, COMMANDS } from './cli.js';

const names = (command: { name(): string; aliases(): string[] }) => [
  command.name(),
  ...command.aliases(),
];

describe('buildProgram', () => {
  it("lists each command under the names its register declares, in --help's order", () => {
    const program = buildProgram({ code: 0 });
    expect(program.commands.map(names)).toEqual(COMMANDS.map(([declared]) => declared));
  });

  it('registers only the command the first argument names, with the same help as in the whole program', () => {
    const whole = buildProgram({ code: 0 });
    for (const [declared] of COMMANDS)
      for (const name of declared) {
        const program = buildProgram({ code: 0 }, [name, '--json']);
        expect(program.commands.map(names)).toEqual([declared]);
        const alone = program.commands[0]!;
        const inWhole = whole.commands.find((command) => command.name() === declared[0])!;
        expect(alone.helpInformation()).toBe(inWhole.helpInformation());
      }
  });

  it('registers every command for anything else: no arguments, an option first, help, a typo', () => {
    for (const args of [[], ['--help'], ['help', 'status'], ['statsu'], ['-V']])
      expect(buildProgram({ code: 0 }, args).commands).toHaveLength(COMMANDS.length);
  });
});
