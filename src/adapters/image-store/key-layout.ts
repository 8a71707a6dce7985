/**
 * Where each blob lives in the image store: the one layout the worker's stages, the gateway and the
 * worker's readiness probe share. Ids are validated before they get here.
 */
import { ACCEPTED_CONTENT_TYPES, fileExtensionOf } from './image-formats';

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
  const extension = fileExtensionOf(contentType);
  if (!extension) throw new Error(`no file extension for ${contentType}`);
  return `${publishedPrefix(userId)}/${taskId}.${extension}`;
}

/** Every published image of one user lives under this prefix (what erasing the user removes). */
export function publishedPrefix(userId: string): string {
  return `refined/${userId}`;
}

/** Every key a task's published image may have, whatever its format. */
export function allPublishedKeys(userId: string, taskId: string): string[] {
  return ACCEPTED_CONTENT_TYPES.map((contentType) => publishedKey(userId, taskId, contentType));
}

/** Uploaded originals (the gateway's multipart path and the CLI's local files). */
export function uploadKey(taskId: string): string {
  return `${uploadPrefix(taskId)}/original`;
}

export function uploadPrefix(taskId: string): string {
  return `uploads/${taskId}`;
}

/**
 * A key that is never written, one per process: looking it up is a real round trip to the store
 * that changes nothing, which is what a readiness check needs.
 */
export function healthProbeKey(processId: number): string {
  return `staging/health-probe/${processId}`;
}
