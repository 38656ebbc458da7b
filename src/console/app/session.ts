/** The bearer token: typed once (or taken from a `#token=` link) and kept in sessionStorage for this tab only, never in the address bar. */

const KEY = 'taskhook.console.token';

export function storedToken(storage: Storage): string | null {
  try {
    return storage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(storage: Storage, token: string): void {
  storage.setItem(KEY, token);
}

export function clearToken(storage: Storage): void {
  storage.removeItem(KEY);
}

/**
 * A `#token=…` fragment signs in: the token is saved and the fragment replaced at once (history.replaceState), so it
 * is neither left in the address bar nor in the history. Answers whether there was one.
 */
export function takeTokenFromFragment(location: Location, history: History, storage: Storage): boolean {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  let token: string;
  try {
    token = decodeURIComponent(match[1]).trim();
  } catch {
    token = '';
  }
  history.replaceState(null, '', `${location.pathname}${location.search}#/tasks`);
  if (token) saveToken(storage, token);
  return token !== '';
}
