// Proposers wait here for their entry to be applied; the apply loop wakes them with the result.

export class Waiters<T> {
  private readonly waiting = new Map<number, { resolve: (v: T) => void; reject: (e: unknown) => void }>();
  private nextId = 1;

  /** Registers a waiter and returns its request id plus the promise of the applied result. */
  register(): { id: number; done: Promise<T> } {
    const id = this.nextId++;
    const done = new Promise<T>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    return { id, done };
  }

  /** True if a waiter exists (the entry was proposed by this process and is still awaited). */
  has(id: number): boolean {
    return this.waiting.has(id);
  }

  resolve(id: number, v: T): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    w.resolve(v);
  }

  reject(id: number, e: unknown): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    w.reject(e);
  }

  rejectAll(e: unknown): void {
    for (const [id] of this.waiting) this.reject(id, e);
  }

  get size(): number {
    return this.waiting.size;
  }
}
