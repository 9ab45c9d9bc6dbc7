/**
 * Text preparation for the action-claim classifier: typographic quotes and
 * apostrophes made plain, Markdown decoration dropped, quoted speech and code
 * masked (a claim inside them is someone else's words, or a command), and the
 * text cut into sentences.
 */

/** What a masked span was. */
export type SpanKind = 'quote' | 'code';

/** A line with its quotes and code spans replaced by one placeholder character each. */
export interface MaskedText {
  /** The text with each span replaced by a private-use character (U+E000 + its index). */
  text: string;
  /** The spans, in order, as written (with their quotes or backticks). */
  spans: { kind: SpanKind; text: string }[];
}

const PLACEHOLDER_BASE = 0xe000;
const PLACEHOLDER_LIMIT = 0x1800;

/**
 * Makes typography plain: `’` and `‘` apostrophes become `'`, `“ ”` and
 * single-quoted `‘…’` passages become `"…"`.
 *
 * @param text - any text.
 * @returns the text with plain quotes and apostrophes.
 */
export function plainQuotes(text: string): string {
  return text
    .replace(/\u2018([^\u2018\u2019\n]*)\u2019(?!\w)/g, '"$1"')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d\u201e]/g, '"');
}

/**
 * Replaces inline code (`` `…` ``, any run length) and double-quoted passages
 * with placeholders. An unclosed backtick or quote masks the rest of the
 * text: fail toward not a claim.
 *
 * @param text - one line, quotes already plain.
 * @returns the masked text and the spans.
 */
export function maskSpans(text: string): MaskedText {
  const spans: MaskedText['spans'] = [];
  let out = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char !== '`' && char !== '"') {
      out += char;
      index++;
      continue;
    }
    let end: number;
    if (char === '`') {
      let run = 1;
      while (text[index + run] === '`') run++;
      const fence = '`'.repeat(run);
      const close = text.indexOf(fence, index + run);
      end = close < 0 ? text.length : close + run;
    } else {
      const close = text.indexOf('"', index + 1);
      end = close < 0 ? text.length : close + 1;
    }
    if (spans.length < PLACEHOLDER_LIMIT) {
      out += String.fromCharCode(PLACEHOLDER_BASE + spans.length);
      spans.push({ kind: char === '`' ? 'code' : 'quote', text: text.slice(index, end) });
    }
    index = end;
  }
  return { text: out, spans };
}

/**
 * Puts the masked spans back into a piece of masked text (an object).
 *
 * @param text - a substring of {@link MaskedText.text}.
 * @param spans - the spans of that masked text.
 * @returns the piece as it was written.
 */
export function unmask(text: string, spans: MaskedText['spans']): string {
  return text.replace(
    /[\ue000-\uf7ff]/g,
    (placeholder) => spans[placeholder.charCodeAt(0) - PLACEHOLDER_BASE]?.text ?? '',
  );
}

/** True when a line opens or closes a fenced code block (`` ``` `` or `~~~`, up to 3 spaces in). */
export function isFence(line: string): boolean {
  return /^ {0,3}(?:```|~~~)/.test(line);
}

/** What a line is, before any sentence is read. */
export type LineKind = 'text' | 'quote' | 'code';

/**
 * Tells a line of prose from a quoted line (`> …`, Markdown's blockquote, or
 * a line that opens with a quote mark) and a line of code (indented by four
 * spaces or a tab, or a shell prompt `$ …`).
 *
 * @param line - one line, quotes already plain.
 * @returns its kind.
 */
export function lineKind(line: string): LineKind {
  if (/^\s*>/.test(line)) return 'quote';
  if (/^(?: {4,}|\t)(?![-*+\u2022] )/.test(line) || /^\s*[$%] /.test(line)) return 'code';
  return 'text';
}

/**
 * Drops a line's Markdown decoration: list bullets and numbers, heading
 * marks, bold and italic asterisks and underscores around words, and a
 * leading emoji.
 *
 * @param line - one line of prose.
 * @returns the line's words.
 */
export function stripDecoration(line: string): string {
  return line
    .replace(/(\*{1,3}|_{2,3})(?=\S)([^*_]*?\S)\1/g, '$2')
    .replace(/^\s*(?:[-*+\u2022\u00b7]\s+|\d{1,3}[.)]\s+|#{1,6}\s+)*/, '')
    .replace(/^(?:(?:\p{Extended_Pictographic}|\ufe0f|\u200d)+\s*)+/u, '')
    .trim();
}

/**
 * Cuts prose into sentences at `.`, `!`, `?` or `…` followed by a space, and
 * at line breaks; the sentence keeps its closing punctuation.
 *
 * @param text - prose (masked).
 * @returns the non-empty sentences, trimmed.
 */
export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?\u2026])\s+|\n+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);
}
