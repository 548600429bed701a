/** `'a b c'` → `['a', 'b c']`; `'a'` → `['a', '']`. The link protocol's lines are `<WORD> <clientId> <rest>`. */
export function splitOnce(text: string): [string, string] {
  const space = text.indexOf(' ')
  return space < 0 ? [text, ''] : [text.slice(0, space), text.slice(space + 1)]
}
