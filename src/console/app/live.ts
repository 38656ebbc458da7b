/** What keeps the pages live: a poll that reloads every few seconds while the tab is visible, a ticking clock, and the status line for announcements. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export const POLL_MS = 3_000;

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  /** When the last successful load finished. */
  updatedAt: number | null;
  /** Loads again now (after an action), without waiting for the next tick. */
  refresh: () => Promise<void>;
}

/**
 * Calls `load` now and again `intervalMs` after each answer (never two at once), while the document is visible.
 * `key` names what is loaded: a new key drops the old data and starts over.
 */
export function usePoll<T>(load: () => Promise<T>, key: string, intervalMs = POLL_MS): Polled<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: Error; updatedAt: number | null }>({ key, updatedAt: null });
  const loadRef = useRef(load);
  loadRef.current = load;
  const running = useRef<Promise<void> | null>(null);
  const keyRef = useRef(key);
  keyRef.current = key;

  const run = useCallback(async () => {
    if (running.current) return running.current;
    const forKey = keyRef.current;
    const attempt = loadRef
      .current()
      .then(
        (data) => {
          if (keyRef.current === forKey) setState({ key: forKey, data, error: undefined, updatedAt: Date.now() });
        },
        (error: unknown) => {
          if (keyRef.current === forKey) setState((previous) => ({ ...previous, key: forKey, error: error as Error }));
        },
      )
      .finally(() => {
        if (running.current === attempt) running.current = null;
      });
    running.current = attempt;
    return attempt;
  }, []);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (stopped) return;
      if (document.visibilityState !== 'hidden') await run();
      if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
    };
    const wake = () => {
      if (document.visibilityState === 'visible') void run();
    };
    // A load still running for the previous key is left to finish unseen; this key's first load starts now.
    running.current = null;
    void tick();
    document.addEventListener('visibilitychange', wake);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', wake);
    };
  }, [key, intervalMs, run]);

  const current = state.key === key ? state : { data: undefined, error: undefined, updatedAt: null };
  return { data: current.data, error: current.error, updatedAt: current.updatedAt, refresh: run };
}

/** The current time, re-rendering every `everyMs` (elapsed times and "ago" labels move between polls). */
export function useNow(everyMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

type Listener = (message: string) => void;
const listeners = new Set<Listener>();

/** Says `message` in the page's status line (a polite live region): results of actions, never secrets. */
export function announce(message: string): void {
  for (const listener of listeners) listener(message);
}

/** How long an announcement stays on screen; a screen reader has read it by then. */
const SHOWN_MS = 6_000;

/** The current announcement; a new `page` (a route change) clears it, as it was about the page left behind. */
export function useAnnouncement(page: string): string {
  const [message, setMessage] = useState('');
  useEffect(() => setMessage(''), [page]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const listener: Listener = (text) => {
      clearTimeout(timer);
      setMessage(text);
      timer = setTimeout(() => setMessage(''), SHOWN_MS);
    };
    listeners.add(listener);
    return () => {
      clearTimeout(timer);
      listeners.delete(listener);
    };
  }, []);
  return message;
}
