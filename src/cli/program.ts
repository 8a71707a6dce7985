/** The `refinery` command's global options, its exit codes and how every command prints. */
import { Command, CommanderError } from 'commander';
import { RefineryApiClient } from './api-client';

/** For scripts: 0 completed (or the command succeeded), 1 failed or error, 2 usage, 3 cancelled, 4 not found, 5 refused (auth, limits). */
export const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 3, notFound: 4, refused: 5 } as const;

export const program = new Command('refinery')
  .description('Refine concept images through the Refinery gateway')
  .option('--url <url>', 'gateway base URL', process.env.REFINERY_URL ?? 'http://localhost:8080')
  .option('--token <token>', 'JWT or API key (default: $REFINERY_TOKEN)')
  .option('--json', 'machine-readable output')
  .exitOverride();

export function client(): RefineryApiClient {
  const { url, token } = program.opts<{ url: string; token?: string }>();
  const credential = token ?? process.env.REFINERY_TOKEN;
  if (!credential) throw new CommanderError(EXIT.usage, 'refinery.token', 'no token: pass --token or set REFINERY_TOKEN (refinery token --user <id> mints one locally)');
  return new RefineryApiClient(url.replace(/\/+$/, ''), credential);
}

export const json = () => program.opts<{ json?: boolean }>().json === true;
export const print = (value: unknown, human: string) => console.log(json() ? JSON.stringify(value, null, 2) : human);
/** A page of a list: its rows, then the command that shows the next page. */
export const printPage = (page: { nextCursor: string | null }, rows: string[], command: string, empty: string) =>
  print(page, [...rows, ...(page.nextCursor ? [`more: ${command} --cursor ${page.nextCursor}`] : [])].join('\n') || empty);
