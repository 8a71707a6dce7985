/**
 * The image formats Refinery knows, in one table: their content type, the name image decoding
 * (sharp) gives them, and their file extensions. Every list of accepted types, every extension in a
 * key and the download's Accept header are read from here.
 */
interface ImageFormatEntry {
  /** The name sharp's metadata gives the format. */
  format: string;
  contentType: string;
  /** The first is the one written in keys and file names; the others are recognised when reading. */
  extensions: readonly string[];
  /**
   * Accepted as an original, and so a format the pipeline may stage and publish. A format that is not
   * is only recognised in the name of a blob someone placed in the store by hand.
   */
  accepted: boolean;
  /** Below 1 when a server that offers several formats should send another one first (the Accept q value). */
  preference?: number;
}

export const IMAGE_FORMATS = [
  { format: 'png', contentType: 'image/png', extensions: ['png'], accepted: true },
  { format: 'jpeg', contentType: 'image/jpeg', extensions: ['jpg', 'jpeg'], accepted: true },
  { format: 'webp', contentType: 'image/webp', extensions: ['webp'], accepted: true, preference: 0.9 },
  { format: 'gif', contentType: 'image/gif', extensions: ['gif'], accepted: false },
] as const satisfies readonly ImageFormatEntry[];

type AcceptedEntry = Extract<(typeof IMAGE_FORMATS)[number], { accepted: true }>;

/** A format accepted as an original, named as sharp names it. */
export type AcceptedImageFormat = AcceptedEntry['format'];

export const ACCEPTED_IMAGE_FORMATS: readonly ImageFormatEntry[] = IMAGE_FORMATS.filter((f) => f.accepted);

/** The content types accepted as an original, in order of preference. */
export const ACCEPTED_CONTENT_TYPES: readonly string[] = ACCEPTED_IMAGE_FORMATS.map((f) => f.contentType);

/** What a download asks for: the accepted formats, then anything else (judged from the bytes). */
export const IMAGE_ACCEPT_HEADER = [
  ...ACCEPTED_IMAGE_FORMATS.map((f) => (f.preference === undefined ? f.contentType : `${f.contentType};q=${f.preference}`)),
  '*/*;q=0.1',
].join(', ');

export function contentTypeOfFormat(format: AcceptedImageFormat): string {
  return ACCEPTED_IMAGE_FORMATS.find((f) => f.format === format)!.contentType;
}

/** The extension written for an accepted content type; undefined for any other type. */
export function fileExtensionOf(contentType: string): string | undefined {
  return ACCEPTED_IMAGE_FORMATS.find((f) => f.contentType === contentType)?.extensions[0];
}

/** The content type a file extension (any case) names, accepted or not; undefined when unknown. */
export function contentTypeOfExtension(extension: string): string | undefined {
  const lower = extension.toLowerCase();
  return IMAGE_FORMATS.find((f) => (f.extensions as readonly string[]).includes(lower))?.contentType;
}
