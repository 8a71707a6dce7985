/** Hash routes (`#/refinements/<id>`): the gateway serves one index.html, and ids never reach the server's logs as page paths. */
export function navigate(path: string): void {
  location.hash = path;
}
