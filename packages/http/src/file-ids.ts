/**
 * The shape of a file id of `@lucky-im/files` (16 random bytes in base64url), checked here so
 * the profile routes need not load that optional package when no files are mounted.
 */
const FILE_ID = /^[A-Za-z0-9_-]{22}$/;

/** True when `id` has the shape of a file id; anything else is never looked up. */
export function isFileId(id: string): boolean {
  return FILE_ID.test(id);
}

/** Where a stored file is served; its id is the unguessable part. */
export function fileUrl(fileId: string): string {
  return `/files/${fileId}`;
}
