import { createInterface } from 'node:readline';
import { classifyActionClaim } from '@runwarden/watchdog';

/**
 * `claims check`: reads lines on stdin and prints, for each, one JSON object
 * a line: `classifyActionClaim`'s verdict (`{claim, verb?, object?, reason,
 * sentence?}`), so people can try the classifier on their own transcripts
 * before they turn `actionClaims` on for a loop.
 *
 * @param input - where the lines come from. @default process.stdin
 * @param output - where the verdicts go. @default process.stdout
 * @returns 0, once the input has ended.
 */
export async function claimsCheckCommand(
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (!output.write(`${JSON.stringify(classifyActionClaim(line))}\n`))
      await new Promise((settle) => output.once('drain', settle));
  }
  return 0;
}
