/** Sign in: the API token, typed once and checked against the API before it is kept for this tab. */
import type { VNode } from 'preact';
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ApiError, apiClient } from '../api.js';
import { errorText } from '../components.js';

export function SignIn({ onSignedIn, notice }: { onSignedIn: (token: string) => void; notice: string | null }): VNode {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setError('Enter an API token (one of TASKHOOK_API_TOKENS, or the one `npm start` printed).');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // Any authenticated read proves the token; the webhook list is small.
      await apiClient(value, () => undefined).get('/v1/webhooks');
      setToken('');
      onSignedIn(value);
    } catch (caught) {
      setError(caught instanceof ApiError && caught.status === 401 ? 'The API refused this token.' : errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  return html`<main id="main" class="sign-in" tabindex="-1">
    <h1>taskhook console</h1>
    <p>Sign in with an API token. It is kept in this tab only (sessionStorage) and sent as <code>Authorization: Bearer</code>.</p>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    <form onSubmit=${(e: Event) => void submit(e)} novalidate>
      <div class="field">
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          class="mono"
          autocomplete="current-password"
          required
          value=${token}
          aria-invalid=${error ? 'true' : undefined}
          aria-describedby=${error ? 'token-error' : undefined}
          onInput=${(e: Event) => setToken((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      ${error ? html`<p class="error" id="token-error" role="alert">${error}</p>` : null}
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Checking…' : 'Sign in'}</button>
    </form>
  </main>`;
}
