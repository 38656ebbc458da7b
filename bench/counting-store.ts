/** A Proxy around a StateStore that counts every method call: the store round trips a poll cycle makes. */
import type { StateStore } from '../src/store/port.js';

export interface CountingStore {
  store: StateStore;
  /** Calls per method name since the last reset. */
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
}

export function countingStore(inner: StateStore): CountingStore {
  let counts: Record<string, number> = {};
  const wrappers = new Map<PropertyKey, unknown>();
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      let wrapper = wrappers.get(prop);
      if (!wrapper) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = (...args: unknown[]) => {
          counts[prop] = (counts[prop] ?? 0) + 1;
          return method.apply(target, args);
        };
        wrappers.set(prop, wrapper);
      }
      return wrapper;
    },
  });
  return {
    store,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => void (counts = {}),
  };
}
