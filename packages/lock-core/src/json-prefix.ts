import { JSONParser } from '@streamparser/json';

/** Whether a text is JSON, the start of JSON, or neither. */
export type JsonTextState =
  /** One complete JSON value (whitespace around it allowed). */
  | { state: 'complete' }
  /** Not JSON yet, but a writer could still complete it (`{"holder": {"pid": 1`). */
  | { state: 'prefix' }
  /** No text appended can ever make it JSON; `detail` says where it went wrong. */
  | { state: 'invalid'; detail: string };

/**
 * Tells a JSON text cut short (a writer still at work) from one that can
 * never become JSON: a syntax error before its end, a control character in
 * a string, text after the value (RFC 8259). Fed to a streaming parser
 * (`@streamparser/json`), which fails at the first byte no JSON text can
 * have there. A number or literal at the very end (`{"a": 1`, `{"a": tr`)
 * counts as cut short.
 *
 * @param text - the file's text.
 * @returns its state.
 */
export function jsonTextState(text: string): JsonTextState {
  const parser = new JSONParser({ paths: [], keepStack: false });
  let failure: Error | undefined;
  parser.onValue = () => undefined;
  parser.onError = (error) => {
    failure ??= error;
  };
  try {
    parser.write(text);
  } catch (error) {
    failure ??= error as Error;
  }
  if (failure) return { state: 'invalid', detail: failure.message };
  return parser.isEnded ? { state: 'complete' } : { state: 'prefix' };
}
