/**
 * S3 requests made in this process (B0's stages), by command: every request is a round trip and work
 * for the store, and a count is exact however busy the machine is.
 */
import { S3Client } from '@aws-sdk/client-s3';

export function countS3Requests(): { stop(perN: number): { total: number; byCommand: string } } {
  const counts = new Map<string, number>();
  const realSend = S3Client.prototype.send;
  S3Client.prototype.send = function (this: S3Client, command: { constructor: { name: string } }, ...rest: unknown[]) {
    const name = command.constructor.name.replace(/Command$/, '');
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return (realSend as (...args: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof realSend;
  return {
    stop(perN: number) {
      S3Client.prototype.send = realSend;
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const byCommand = [...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => `${name} ${(n / perN).toFixed(1)}`)
        .join(', ');
      return { total, byCommand };
    },
  };
}
