import type { ComponentChildren } from 'preact';
import type { ApiProblem } from '../api';

export function Loading({ what }: { what: string }) {
  return (
    <p class="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

/** A problem from the API, shown as its `detail`; 401/403 get a word on what to do. */
export function ProblemBox({ problem }: { problem: ApiProblem }) {
  const hint =
    problem.status === 403
      ? 'This needs an API key with more scopes: sign in with an admin key.'
      : problem.status === 401
        ? 'Sign in again with a valid API key.'
        : null;
  return (
    <div class="state error" role="alert">
      <strong>{problem.status ? `${problem.status} ${problem.title}` : problem.title}:</strong>{' '}
      {problem.detail}
      {hint && <div>{hint}</div>}
    </div>
  );
}

export function NeedsScope({ scope }: { scope: string }) {
  return (
    <div class="state error" role="alert">
      This page needs an API key with the <code>{scope}</code> scope; the key you signed in with does not have
      it. Sign out and sign in with an {scope} key.
    </div>
  );
}
