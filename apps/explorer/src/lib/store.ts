import { useSyncExternalStore } from "react";

/** A value kept outside the views (so switching views keeps it), with a hook that re-renders on change. */
export interface Store<T> {
  get(): T;
  set(next: Partial<T>): void;
  use(): T;
}

export function createStore<T extends object>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<() => void>();
  const subscribe = (l: () => void) => {
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  };
  return {
    get: () => state,
    set(next) {
      state = { ...state, ...next };
      for (const l of listeners) l();
    },
    use: () => useSyncExternalStore(subscribe, () => state),
  };
}
