/** One acknowledged delete of an item, closed when a PUT re-creating the item is sent. */
export interface DeleteSpan {
  id: string;
  /** When the 204 arrived (performance.now() ms). */
  ackedAt: number;
  /** Which server acknowledged it. */
  by: string;
  /** When a PUT re-creating the item was sent: from then on the item may legitimately be served again. */
  recreateSentAt?: number;
}

/**
 * Every acknowledged delete and re-creation of the run, to tell whether a list served an item that had been
 * deleted for a while. A re-create counts from the moment its PUT is sent (not acknowledged), so a list
 * computed while the PUT is in flight is never called a violation.
 */
export class DeleteLedger {
  private readonly spans = new Map<string, DeleteSpan[]>();
  private open = 0;

  deleted(id: string, ackedAt: number, by: string): void {
    const list = this.spans.get(id) ?? [];
    const last = list.at(-1);
    if (last && last.recreateSentAt === undefined) return; // already deleted: the first ack is the binding one
    list.push({ id, ackedAt, by });
    this.spans.set(id, list);
    this.open++;
  }

  recreating(id: string, sentAt: number): void {
    const last = this.spans.get(id)?.at(-1);
    if (last && last.recreateSentAt === undefined) {
      last.recreateSentAt = sentAt;
      this.open--;
    }
  }

  isDeleted(id: string): boolean {
    const last = this.spans.get(id)?.at(-1);
    return last !== undefined && last.recreateSentAt === undefined;
  }

  /** Items deleted now, oldest acknowledgement first. */
  deletedIds(): DeleteSpan[] {
    const out: DeleteSpan[] = [];
    for (const list of this.spans.values()) {
      const last = list.at(-1)!;
      if (last.recreateSentAt === undefined) out.push(last);
    }
    return out.sort((a, b) => a.ackedAt - b.ackedAt);
  }

  get deletedCount(): number {
    return this.open;
  }

  /**
   * The delete that should have kept `id` out of a list requested at `sentAt` and answered at `answeredAt`:
   * acknowledged at least `graceMs` before the request was sent, and not undone by a re-create sent before the
   * answer came. A re-create sent while the list request was in flight may have committed before the list was
   * computed, so the item may rightly be in it. (The soak re-creates the item deleted longest ago, about 20 s
   * after its delete; counting only from the list's send time called those lists violations.)
   */
  violatedBy(id: string, sentAt: number, answeredAt: number, graceMs: number): DeleteSpan | undefined {
    const list = this.spans.get(id);
    if (!list) return undefined;
    return list.find(
      (s) =>
        s.ackedAt <= sentAt - graceMs && (s.recreateSentAt === undefined || s.recreateSentAt > answeredAt),
    );
  }
}
