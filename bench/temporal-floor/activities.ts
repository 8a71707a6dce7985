/** The one activity of the floor benchmark: it does nothing, so what a run costs is Temporal's. */
export async function noop(): Promise<void> {}
