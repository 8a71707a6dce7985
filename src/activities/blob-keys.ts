/** Where each stage puts its blobs in the image store. Ids are validated before they get here. */
const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

export type StagedImage = 'original' | 'refined';

/** Staging area: claim-check blobs handed between stages, removed when the refinement ends. */
export function stagingKey(taskId: string, which: StagedImage): string {
  return `${stagingPrefix(taskId)}/${which}`;
}

/** Everything a refinement stages lives under this prefix, so cleanup can remove all of it, partial writes included. */
export function stagingPrefix(taskId: string): string {
  return `staging/${taskId}`;
}

/** The published refined image: one per user and task, so a retry overwrites instead of duplicating. */
export function publishedKey(userId: string, taskId: string, contentType: string): string {
  const extension = EXTENSIONS[contentType];
  if (!extension) throw new Error(`no file extension for ${contentType}`);
  return `refined/${userId}/${taskId}.${extension}`;
}

export function allPublishedKeys(userId: string, taskId: string): string[] {
  return Object.keys(EXTENSIONS).map((contentType) => publishedKey(userId, taskId, contentType));
}

/** Uploaded originals (the gateway's multipart path and the CLI's local files). */
export function uploadKey(taskId: string): string {
  return `${uploadPrefix(taskId)}/original`;
}

export function uploadPrefix(taskId: string): string {
  return `uploads/${taskId}`;
}
