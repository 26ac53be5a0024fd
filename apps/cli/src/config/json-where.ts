/**
 * Where a JSON text stops being JSON, as `line L, column C`. Node 20's JSON.parse errors give no position, so
 * this small scanner (run only after JSON.parse failed) walks the grammar and reports the first offset it
 * cannot accept. It keeps its own stack of open arrays and objects rather than recursing, so a hostile file
 * of a million `[` ends in an answer, not a stack overflow.
 */
export function jsonErrorPlace(text: string): { line: number; column: number; offset: number } {
  const offset = jsonErrorOffset(text) ?? text.length;
  const before = text.slice(0, offset);
  let line = 1;
  for (let k = before.indexOf("\n"); k >= 0; k = before.indexOf("\n", k + 1)) line++;
  return { line, column: offset - before.lastIndexOf("\n"), offset };
}

/** The offset of the first character that stops `text` being JSON (its length if it ends too soon), or undefined. */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const lit = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const str = () => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "x")) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  // Sticky, so matching a number looks only at where it starts (slicing the rest of a large text each time
  // would make a file of many numbers quadratic).
  const number = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const num = () => {
    number.lastIndex = i;
    const m = number.exec(text);
    if (!m) fail();
    i += m![0].length;
  };
  /** `"key":` inside an object. */
  const key = () => {
    ws();
    str();
    ws();
    if (text[i] !== ":") fail();
    i++;
  };
  // Open containers: "]" for an array, "}" for an object (what closes each).
  const open: string[] = [];
  const document = () => {
    for (;;) {
      // A value.
      ws();
      const ch = text[i];
      if (ch === "{" || ch === "[") {
        i++;
        ws();
        const close = ch === "{" ? "}" : "]";
        if (text[i] !== close) {
          open.push(close);
          if (close === "}") key();
          continue;
        }
        i++;
      } else if (ch === '"') str();
      else if (ch === "t") lit("true");
      else if (ch === "f") lit("false");
      else if (ch === "n") lit("null");
      else num();
      // After a value: a comma and the next member, or the end of containers.
      for (;;) {
        ws();
        const close = open[open.length - 1];
        if (close === undefined) return;
        if (text[i] === ",") {
          i++;
          if (close === "}") key();
          break;
        }
        if (text[i] !== close) fail();
        i++;
        open.pop();
      }
    }
  };
  try {
    document();
    ws();
    if (i < text.length) fail();
    return undefined;
  } catch (at) {
    if (typeof at !== "number") throw at;
    return at;
  }
}

/** `line 4, column 3: unexpected "]"` for a text JSON.parse rejected. */
export function describeJsonError(text: string): string {
  const { line, column, offset } = jsonErrorPlace(text);
  const got = offset >= text.length ? "end of file" : JSON.stringify(text[offset]);
  return `line ${line}, column ${column}: unexpected ${got}`;
}
