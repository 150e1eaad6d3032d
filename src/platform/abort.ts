/**
 * Shared abort subscriptions: a check's signal is shared by every command and
 * request of the check; one listener each would trip node's
 * MaxListenersExceededWarning (issue 12 item 17). Here each signal gets one
 * listener that calls the subscribers.
 */
const subscribers = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` when `signal` aborts (at once if it has); returns the unsubscribe function. */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    fn();
    return () => {};
  }
  let set = subscribers.get(signal);
  if (!set) {
    const s = new Set<() => void>();
    set = s;
    subscribers.set(signal, s);
    signal.addEventListener('abort', () => {
      for (const f of [...s]) f();
      s.clear();
    }, { once: true });
  }
  set.add(fn);
  return () => set.delete(fn);
}

