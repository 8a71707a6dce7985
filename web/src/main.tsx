/** The page's shell: a hash router (so the gateway serves one file), the header and focus on navigation. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { History } from './pages/History';
import { NewRefinement } from './pages/NewRefinement';
import { Refinement } from './pages/Refinement';
import { SignIn } from './pages/SignIn';
import { navigate } from './router';
import { credential, onSessionChange, signOut, userLabel } from './session';
import './styles.css';

type Route = { page: 'sign-in' } | { page: 'new' } | { page: 'history' } | { page: 'refinement'; taskId: string } | { page: 'missing' };

function parse(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/sign-in') return { page: 'sign-in' };
  if (path === '/new') return { page: 'new' };
  if (path === '/' || path === '/history') return { page: 'history' };
  const match = /^\/refinements\/([^/]+)$/.exec(path);
  if (match) return { page: 'refinement', taskId: decodeURIComponent(match[1]!) };
  return { page: 'missing' };
}


function App() {
  const [route, setRoute] = useState(() => parse(location.hash));
  const [signedIn, setSignedIn] = useState(() => credential() !== null);
  const [notice, setNotice] = useState<string | undefined>();

  useEffect(() => {
    const update = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', update);
    onSessionChange((reason) => {
      setSignedIn(credential() !== null);
      setNotice(reason);
    });
    return () => window.removeEventListener('hashchange', update);
  }, []);

  const shown: Route = signedIn || route.page === 'missing' ? route : { page: 'sign-in' };
  const key = shown.page === 'refinement' ? `refinement:${shown.taskId}` : shown.page;

  // After every navigation, focus the new page's heading so screen readers announce it and Tab starts there.
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [key]);

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.querySelector<HTMLElement>('main h1')?.focus())}>
        Skip to content
      </a>
      <header class="site-header">
        <a class="brand" href="#/history">
          Refinery
        </a>
        {signedIn && (
          <nav aria-label="Main">
            <a href="#/new" aria-current={shown.page === 'new' ? 'page' : undefined}>
              New refinement
            </a>
            <a href="#/history" aria-current={shown.page === 'history' ? 'page' : undefined}>
              History
            </a>
            <span class="who" title="Signed in as">
              {userLabel()}
            </span>
            <button type="button" class="link" onClick={() => signOut()}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main id="main" key={key}>
        {shown.page === 'sign-in' && <SignIn notice={notice} onSignedIn={() => (setNotice(undefined), navigate(route.page === 'sign-in' ? '/new' : location.hash.slice(1) || '/new'))} />}
        {shown.page === 'new' && <NewRefinement />}
        {shown.page === 'history' && <History />}
        {shown.page === 'refinement' && <Refinement taskId={shown.taskId} />}
        {shown.page === 'missing' && (
          <section>
            <h1 tabIndex={-1}>Page not found</h1>
            <p>
              There is nothing at this address. <a href="#/history">Go to your history</a>.
            </p>
          </section>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
