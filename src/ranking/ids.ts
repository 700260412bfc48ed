/** Plain code-unit order, never locale order: ties are broken "by item id in ascending string order". */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
