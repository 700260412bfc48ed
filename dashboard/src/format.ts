/** Numbers and times in the browser's locale. */
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 2 });
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
