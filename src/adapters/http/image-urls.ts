/** Vetting the URLs a download is asked to follow: the one a user gave us, and every redirect's target. */
import { InvalidImageUrlError } from '../../errors';

export const MAX_URL_LENGTH = 2048;

/** Parses and vets a URL given to us: http(s) only, no credentials, bounded length. */
export function parseImageUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) {
    throw new InvalidImageUrlError(`image URL is ${raw.length} characters long; the limit is ${MAX_URL_LENGTH}`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidImageUrlError('image URL is not a valid absolute URL');
  }
  return vetUrl(url, 'image URL');
}

/** A redirect's Location, resolved against the URL that answered with it, under the same rules. */
export function parseRedirectTarget(location: string, from: URL): URL {
  const what = `redirect from ${from.host}`;
  if (location.length > MAX_URL_LENGTH) {
    throw new InvalidImageUrlError(`${what} points to a URL longer than ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    throw new InvalidImageUrlError(`${what} points to an invalid URL`);
  }
  return vetUrl(url, what);
}

function vetUrl(url: URL, what: string): URL {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidImageUrlError(`${what} uses the ${url.protocol} scheme; only http and https are allowed`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidImageUrlError(`${what} for ${url.host} carries credentials`);
  }
  return url;
}
