// Numbers as memdesc's reports print them (`en-US`: `1,234,567.89`), without `toLocaleString`: its first call
// loads ICU's locale data, 10–20 ms of a command's run, for a comma every three digits. The tests hold both
// functions to `toLocaleString` on random numbers.

const grouped = (digits: string): string => digits.replace(/\B(?=(\d{3})+$)/g, ",");

/** `1,234,567`: as `v.toLocaleString("en-US")` prints a whole number; other numbers are passed to it. */
export function thousands(v: number): string {
  if (!Number.isSafeInteger(v)) return v.toLocaleString("en-US");
  const s = grouped(String(Math.abs(v)));
  return v < 0 || Object.is(v, -0) ? `-${s}` : s;
}

/**
 * `1,234.57`: as `v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })`
 * prints it. Like `Intl`, it rounds the shortest decimal that reads back as `v` (1.005 is `1.01`, where
 * `toFixed` gives `1.00`), half away from zero, and keeps the sign of a negative number that rounds to zero.
 */
export function thousandsFixed(v: number, digits: number): string {
  const text = String(Math.abs(v));
  if (!Number.isFinite(v) || text.includes("e") || !Number.isInteger(digits) || digits < 0 || digits > 20)
    return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const [whole = "0", frac = ""] = text.split(".");
  let units = BigInt(whole + frac.slice(0, digits).padEnd(digits, "0"));
  if ((frac[digits] ?? "0") >= "5") units += 1n;
  const all = units.toString().padStart(digits + 1, "0");
  const head = grouped(all.slice(0, all.length - digits));
  const s = digits > 0 ? `${head}.${all.slice(all.length - digits)}` : head;
  return v < 0 || Object.is(v, -0) ? `-${s}` : s;
}
