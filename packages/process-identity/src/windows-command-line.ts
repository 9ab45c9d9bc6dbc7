const isBlank = (char: string | undefined) => char === ' ' || char === '\t';

/**
 * Splits a Windows command line (`Win32_Process.CommandLine`) into argv by the
 * rules of `CommandLineToArgvW` and the Microsoft C runtime ("Parsing C++
 * command-line arguments", Microsoft Learn): blanks separate arguments outside
 * double quotes; `2n` backslashes before a quote give `n` backslashes and a
 * quote that opens or closes; `2n+1` give `n` and a literal quote; `""` inside
 * quotes is a literal quote; other backslashes are literal. `argv[0]` is read
 * as the program name: quoted up to the next quote, with no escapes.
 *
 * @param line - the command line as Windows stores it.
 * @returns the arguments; `[]` for an empty line.
 */
export function splitWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  const length = line.length;
  let index = 0;
  while (index < length && isBlank(line[index])) index++;
  if (index >= length) return [];
  let program = '';
  if (line[index] === '"') {
    index++;
    while (index < length && line[index] !== '"') program += line[index++];
    index++;
  } else {
    while (index < length && !isBlank(line[index])) program += line[index++];
  }
  args.push(program);
  for (;;) {
    while (index < length && isBlank(line[index])) index++;
    if (index >= length) break;
    let current = '';
    let quoted = false;
    while (index < length) {
      const char = line[index]!;
      if (!quoted && isBlank(char)) break;
      if (char === '\\') {
        let count = 0;
        while (index < length && line[index] === '\\') {
          count++;
          index++;
        }
        if (line[index] === '"') {
          current += '\\'.repeat(Math.floor(count / 2));
          if (count % 2 === 1) {
            current += '"';
            index++;
          }
        } else {
          current += '\\'.repeat(count);
        }
        continue;
      }
      if (char === '"') {
        if (quoted && line[index + 1] === '"') {
          current += '"';
          index += 2;
          continue;
        }
        quoted = !quoted;
        index++;
        continue;
      }
      current += char;
      index++;
    }
    args.push(current);
  }
  return args;
}
