/**
 * The credential lives in this tab's sessionStorage only: never in a URL, a cookie or localStorage,
 * so closing the tab signs out and other sites' pages can never send it.
 */
const KEY = 'refinery.credential';
const USER_KEY = 'refinery.user';
let onChange: (reason?: string) => void = () => undefined;

export function credential(): string | null {
  return sessionStorage.getItem(KEY);
}

/** A label for the header: the dev login's user name, or what a JWT's `sub` says. */
export function userLabel(): string {
  return sessionStorage.getItem(USER_KEY) ?? 'signed in';
}

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, token);
  sessionStorage.setItem(USER_KEY, subjectOf(token) ?? (token.startsWith('rk_') ? 'API key' : 'signed in'));
  onChange();
}

export function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(USER_KEY);
  onChange(reason);
}

export function onSessionChange(listener: (reason?: string) => void): void {
  onChange = listener;
}

function subjectOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}
