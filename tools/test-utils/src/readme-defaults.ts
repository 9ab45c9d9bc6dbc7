/**
 * The entries of a defaults constant that a README does not state: the
 * README must name the constant in inline code (`` `LOCK_DEFAULTS` ``) and
 * write each entry as inline code `` `key: value` `` with the value as JSON,
 * so the docs read the same constant as the code.
 *
 * @param readme - the README's text.
 * @param name - the constant's name.
 * @param defaults - the constant.
 * @returns what is missing, as the text the README lacks; empty when all is there.
 */
export function defaultsMissingFromReadme(
  readme: string,
  name: string,
  defaults: Readonly<Record<string, unknown>>,
): string[] {
  const folded = readme.replace(/\s+/g, ' ');
  const wanted = [
    `\`${name}\``,
    ...Object.entries(defaults).map(([key, value]) => `\`${key}: ${JSON.stringify(value)}\``),
  ];
  return wanted.filter((text) => !folded.includes(text));
}
