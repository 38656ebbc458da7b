/** The console's frame: sign-in, then a header with the page links, the page the hash names, and a status line that announces results. */
import type { VNode } from 'preact';
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { apiClient } from './api.js';
import { useAnnouncement } from './live.js';
import { DoctorPage } from './pages/doctor.js';
import { EventPage } from './pages/event.js';
import { EventsPage } from './pages/events.js';
import { PollerPage } from './pages/poller.js';
import { SignIn } from './pages/sign-in.js';
import { TaskPage } from './pages/task.js';
import { TasksPage } from './pages/tasks.js';
import { WebhooksPage } from './pages/webhooks.js';
import { useRoute, type Route } from './router.js';
import { clearToken, saveToken, storedToken } from './session.js';

const NAV = [
  { page: 'tasks', href: '#/tasks', label: 'Tasks', also: ['task'] },
  { page: 'events', href: '#/events', label: 'Events', also: ['event'] },
  { page: 'webhooks', href: '#/webhooks', label: 'Webhooks', also: [] },
  { page: 'poller', href: '#/poller', label: 'Poller', also: [] },
  { page: 'doctor', href: '#/doctor', label: 'Doctor', also: [] },
] as const;

const TITLES: Record<Route['page'], string> = {
  tasks: 'Tasks',
  task: 'Task',
  events: 'Events',
  event: 'Event',
  webhooks: 'Webhooks',
  poller: 'Poller',
  doctor: 'Doctor',
  missing: 'Not found',
};

export function App(): VNode {
  const [token, setToken] = useState(() => storedToken(sessionStorage));
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();
  const announcement = useAnnouncement(location.hash.split('?')[0]);
  const api = useMemo(
    () =>
      token
        ? apiClient(token, () => {
            clearToken(sessionStorage);
            setNotice('The API refused the saved token, so you are signed out. Sign in again.');
            setToken(null);
          })
        : null,
    [token],
  );
  document.title = `${TITLES[route.page]} · taskhook console`;

  if (!api) {
    return html`<${SignIn}
      notice=${notice}
      onSignedIn=${(value: string) => {
        saveToken(sessionStorage, value);
        setNotice(null);
        setToken(value);
      }}
    />`;
  }
  const signOut = () => {
    clearToken(sessionStorage);
    setNotice('Signed out.');
    setToken(null);
  };
  const skip = (e: Event) => {
    e.preventDefault();
    document.getElementById('main')?.focus();
  };

  return html`<div class="frame">
    <a class="skip" href="#main" onClick=${skip}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/tasks"><span class="logo" aria-hidden="true"></span>taskhook</a>
      <nav aria-label="Main">
        <ul>
          ${NAV.map(
            (item) =>
              html`<li>
                <a href=${item.href} aria-current=${item.page === route.page || (item.also as readonly string[]).includes(route.page) ? 'page' : undefined}
                  >${item.label}</a
                >
              </li>`,
          )}
        </ul>
      </nav>
      <button type="button" class="sign-out" onClick=${signOut}>Sign out</button>
    </header>
    <main id="main" tabindex="-1">${page(route, api)}</main>
    <footer class="foot">
      <p>Every page refreshes itself every few seconds. <a href="/openapi.json">API description</a></p>
    </footer>
    <div class="status-line" role="status" aria-live="polite">${announcement}</div>
  </div>`;
}

function page(route: Route, api: NonNullable<ReturnType<typeof apiClient>>): VNode {
  switch (route.page) {
    case 'tasks':
      return html`<${TasksPage} api=${api} query=${route.query} />`;
    case 'task':
      return html`<${TaskPage} key=${`${route.regionId}/${route.taskId}`} api=${api} regionId=${route.regionId} taskId=${route.taskId} />`;
    case 'events':
      return html`<${EventsPage} api=${api} query=${route.query} />`;
    case 'event':
      return html`<${EventPage} key=${route.eventId} api=${api} eventId=${route.eventId} />`;
    case 'webhooks':
      return html`<${WebhooksPage} api=${api} />`;
    case 'poller':
      return html`<${PollerPage} api=${api} />`;
    case 'doctor':
      return html`<${DoctorPage} api=${api} />`;
    case 'missing':
      return html`<section>
        <h1 tabindex="-1">Not found</h1>
        <p>There is no page <code>${route.hash}</code>. <a href="#/tasks">Go to the tasks</a>.</p>
      </section>`;
  }
}
