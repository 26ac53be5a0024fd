/** printf's helpers, as pahole's output relies on their exact behaviour. */

/** `%.*s` of pahole's tab string, which holds 16 tabs. */
export const tabs = (n: number) => "\t".repeat(Math.max(0, Math.min(n, 16)));

/** `%-*s`: left-justified; a negative width left-justifies too. */
export const padEnd = (s: string, width: number) => s.padEnd(Math.abs(width));

/** `%*s` / `%*u`: right-justified, or left-justified for a negative width. */
export const padStart = (s: string | number, width: number) =>
  width < 0 ? String(s).padEnd(-width) : String(s).padStart(width);

/** `3 bytes`, `1 bit`. */
export const plural = (n: number, word: string) => `${n} ${word}${n !== 1 ? "s" : ""}`;
