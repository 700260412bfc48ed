/** Numbers and times in the browser's locale. */
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 2 });
const signedPercent = new Intl.NumberFormat(undefined, {
  style: 'percent',
  maximumFractionDigits: 1,
  signDisplay: 'exceptZero',
});
const pValue = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 2 });
const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
// Days of the analytics are UTC days: shown as that date wherever the browser is.
const utcDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

export const fmtInt = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : integer.format(n);
export const fmtNum = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : decimal.format(n);
export const fmtPct = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : percent.format(n);
export const fmtMoney = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : money.format(n);
export const fmtTime = (iso: string | null | undefined): string =>
  iso ? dateTime.format(new Date(iso)) : '–';
/** A day given as Unix seconds of its UTC midnight. */
export const fmtDay = (unixSeconds: number): string => utcDay.format(new Date(unixSeconds * 1000));
/** A change relative to a baseline: +12.5 %, −3 %. */
export const fmtLift = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : signedPercent.format(n);
/** A p-value to two significant digits; very small ones as "< 0.0001". */
export const fmtP = (p: number | null | undefined): string =>
  p === null || p === undefined ? '–' : p < 0.0001 ? `< ${pValue.format(0.0001)}` : pValue.format(p);
/** A 95 % interval of a rate: 1.2 %–3.4 %. */
export const fmtPctInterval = (iv: [number, number] | null | undefined): string =>
  iv ? `${percent.format(iv[0])}–${percent.format(iv[1])}` : '–';
export const fmtMoneyInterval = (iv: [number, number] | null | undefined): string =>
  iv ? `${money.format(iv[0])}–${money.format(iv[1])}` : '–';
