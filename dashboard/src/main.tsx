import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, Redirect, Route, Router, Switch, useRoute } from 'wouter-preact';
import { api } from './api';
import { SessionContext, type Session } from './auth';
import { ProblemBox, Loading } from './components/states';
import { ExperimentPage } from './pages/experiment';
import { ExperimentNewPage } from './pages/experiment-new';
import { ExperimentsPage } from './pages/experiments';
import { ExplorePage } from './pages/explore';
import { ModelsPage } from './pages/models';
import { OverviewPage } from './pages/overview';
import { PlacementEditPage } from './pages/placement-edit';
import { PlacementsPage } from './pages/placements';
import { SignIn } from './pages/sign-in';
import { storedKey, storedWho, storeKey, storeWho } from './session';
import type { Whoami } from './types';
import { useLoad } from './use-api';
import './styles.css';

function NavLink({ href, label }: { href: string; label: string }) {
  const [active] = useRoute(href === '/' ? '/' : `${href}/*?`);
  return (
    <Link href={href} aria-current={active ? 'page' : undefined} class={active ? 'active' : undefined}>
      {label}
    </Link>
  );
}

function Shell({ session }: { session: Session }) {
  return (
    <SessionContext.Provider value={session}>
      {session.open && (
        <div class="banner warning" role="note">
          Open mode: this server has no <code>API_KEYS</code> configured, so anyone who can reach it can read,
          write and administer it.
        </div>
      )}
      <header class="top">
        <span class="brand">Aisle</span>
        <nav aria-label="Pages">
          <NavLink href="/" label="Overview" />
          <NavLink href="/explore" label="Explore" />
          <NavLink href="/placements" label="Placements" />
          <NavLink href="/experiments" label="Experiments" />
          <NavLink href="/models" label="Models" />
        </nav>
        <span class="who">
          {session.open ? 'open server' : `key scopes: ${session.scopes.join(', ')}`}
          {!session.open && (
            <button type="button" class="link" onClick={session.signOut}>
              Sign out
            </button>
          )}
        </span>
      </header>
      <main class="page">
        <Switch>
          <Route path="/" component={OverviewPage} />
          <Route path="/explore" component={ExplorePage} />
          <Route path="/placements" component={PlacementsPage} />
          <Route path="/placements/:id">
            {(params: { id: string }) => (
              // Ids may hold '/', ':' and '@': links encode the id as one path segment.
              <PlacementEditPage key={params.id} id={decodeURIComponent(params.id)} />
            )}
          </Route>
          <Route path="/experiments" component={ExperimentsPage} />
          <Route path="/experiments/new" component={ExperimentNewPage} />
          <Route path="/experiments/:id">
            {(params: { id: string }) => (
              <ExperimentPage key={params.id} id={decodeURIComponent(params.id)} />
            )}
          </Route>
          <Route path="/models" component={ModelsPage} />
          <Route>
            <Redirect to="/" />
          </Route>
        </Switch>
      </main>
    </SessionContext.Provider>
  );
}

function App() {
  const [key, setKey] = useState<string | null>(storedKey());
  // A page loaded in a signed-in tab renders at once with what the server said about the key last time; the
  // check below runs beside the page's own requests and signs out if the key is no longer accepted.
  const [who, setWho] = useState<Whoami | null>(storedWho());
  const check = useLoad(() => api<Whoami>('/v1/auth/whoami', { key }), [key]);
  useEffect(() => {
    if (check.state === 'ok') {
      setWho(check.data);
      storeWho(check.data);
    }
    if (check.state === 'error' && check.problem.status === 401) {
      storeKey(null);
      storeWho(null);
      setKey(null);
      setWho(null);
    }
  }, [check.state]);

  const signOut = () => {
    storeKey(null);
    storeWho(null);
    setKey(null);
    setWho(null);
  };

  if (who && (who.open || key)) return <Shell session={{ ...who, signOut }} />;
  if (check.state === 'loading') return <Loading what="the dashboard" />;
  if (check.state === 'error' && check.problem.status !== 401) {
    return (
      <main class="signin">
        <ProblemBox problem={check.problem} />
      </main>
    );
  }
  return (
    <SignIn
      onSignedIn={(k, w) => {
        storeKey(k);
        storeWho(w);
        setWho(w);
        setKey(k);
      }}
    />
  );
}

render(
  <Router base="/dashboard">
    <App />
  </Router>,
  document.getElementById('app')!,
);
