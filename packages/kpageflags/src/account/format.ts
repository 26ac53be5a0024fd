/**
 * `1,234,567`: a whole number with thousands separators, as the CLI prints them. Not `toLocaleString`, whose
 * first call loads ICU's locale data (about 10 ms), a cost a survey's few notes do not need.
 */
export function thousands(v: number): string {
  const s = String(Math.abs(v)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return v < 0 ? `-${s}` : s;
}
