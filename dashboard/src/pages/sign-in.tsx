import { useState } from 'preact/hooks';
import { api, type ApiProblem } from '../api';
import { ProblemBox } from '../components/states';
import { asProblem } from '../use-api';
import type { Whoami } from '../types';

/** Checks the key against the server (GET /v1/auth/whoami) before keeping it. */
export function SignIn({ onSignedIn }: { onSignedIn: (key: string, who: Whoami) => void }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const who = await api<Whoami>('/v1/auth/whoami', { key });
      onSignedIn(key, who);
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <h1>Aisle dashboard</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby="signin-help">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || key.length === 0}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p id="signin-help" class="muted">
          A key from the server's <code>API_KEYS</code>. It is kept in this tab's session storage only and
          sent in the <code>X-API-Key</code> header.
        </p>
      </form>
      {problem && <ProblemBox problem={problem} />}
    </main>
  );
}
