/** Sign in: paste an API key or a token; a development login only when the gateway offers one. */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem } from '../api';
import { signIn } from '../session';

export function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [userId, setUserId] = useState('');
  const [devLogin, setDevLogin] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [devError, setDevError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.devLoginAvailable().then(setDevLogin, () => setDevLogin(false));
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) return setError('Paste an API key (rk_…) or a token.');
    setBusy(true);
    try {
      await api.verify(value);
      signIn(value);
      onSignedIn();
    } catch (err) {
      setError(err instanceof ApiProblem ? (err.detail ?? err.title) : String(err));
    } finally {
      setBusy(false);
    }
  };

  const dev = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const { token } = await api.devLogin(userId.trim());
      signIn(token);
      onSignedIn();
    } catch (err) {
      setDevError(err instanceof ApiProblem ? (err.errors[0]?.detail ? `User name ${err.errors[0].detail}` : (err.detail ?? err.title)) : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <h1 tabIndex={-1}>Sign in</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <label for="credential">API key or token</label>
        <p class="hint" id="credential-hint">
          Kept in this tab only, and forgotten when you close it.
        </p>
        <input
          id="credential"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => (setToken(e.currentTarget.value), setError(undefined))}
          aria-describedby={error ? 'credential-hint credential-error' : 'credential-hint'}
          aria-invalid={error ? true : undefined}
        />
        {error && (
          <p class="field-error" id="credential-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {devLogin && (
        <form onSubmit={dev} class="dev" noValidate aria-labelledby="dev-title">
          <h2 id="dev-title">Development login</h2>
          <p class="hint">This gateway runs with the local development secret, so it signs tokens for any user name.</p>
          <label for="dev-user">User name</label>
          <input
            id="dev-user"
            autocomplete="username"
            value={userId}
            onInput={(e) => (setUserId(e.currentTarget.value), setDevError(undefined))}
            aria-describedby={devError ? 'dev-user-error' : undefined}
            aria-invalid={devError ? true : undefined}
          />
          {devError && (
            <p class="field-error" id="dev-user-error">
              {devError}
            </p>
          )}
          <button type="submit" class="secondary" disabled={busy}>
            Development login
          </button>
        </form>
      )}
    </section>
  );
}
