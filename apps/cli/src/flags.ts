/** A flag's whole number, or NaN (which the command's validation then names): `''`, `0x10`, `1e1` and `-1` are not. */
export function wholeNumber(v: string): number {
  return /^\d{1,9}$/.test(v.trim()) ? Number(v) : Number.NaN;
}
