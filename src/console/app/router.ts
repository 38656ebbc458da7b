/** Hash routes (`#/tasks`, `#/tasks/<region>/<task>`, `#/events?type=…`, …): the page is one URL the API serves, and nothing here is secret. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'tasks'; query: URLSearchParams }
  | { page: 'task'; regionId: string; taskId: string }
  | { page: 'events'; query: URLSearchParams }
  | { page: 'event'; eventId: string }
  | { page: 'webhooks' }
  | { page: 'poller' }
  | { page: 'doctor' }
  | { page: 'missing'; hash: string };

const decode = (part: string) => {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
};

export function parseRoute(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#/, '').split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decode);
  const query = new URLSearchParams(search);
  if (parts.length === 0 || (parts[0] === 'tasks' && parts.length === 1)) return { page: 'tasks', query };
  if (parts[0] === 'tasks' && parts.length === 3) return { page: 'task', regionId: parts[1], taskId: parts[2] };
  if (parts[0] === 'events' && parts.length === 1) return { page: 'events', query };
  if (parts[0] === 'events' && parts.length === 2) return { page: 'event', eventId: parts[1] };
  if (parts[0] === 'webhooks' && parts.length === 1) return { page: 'webhooks' };
  if (parts[0] === 'poller' && parts.length === 1) return { page: 'poller' };
  if (parts[0] === 'doctor' && parts.length === 1) return { page: 'doctor' };
  return { page: 'missing', hash };
}

/** The hash of a page, with query parameters that have a value. */
export function pageHref(path: string[], query: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) search.set(name, value);
  const tail = search.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${tail ? `?${tail}` : ''}`;
}

export const taskHref = (regionId: string, taskId: string) => pageHref(['tasks', regionId, taskId]);
export const eventHref = (eventId: string) => pageHref(['events', eventId]);

/** Changes the route; `replace` keeps filter edits out of the back button's way. */
export function navigate(hash: string, replace = false): void {
  if (replace) {
    history.replaceState(null, '', hash);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = hash;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
