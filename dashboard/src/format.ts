/** Numbers and times in the browser's locale. */
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 2 });
const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

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
