/**
 * @packageDocumentation
 * Files for Lucky IM: the {@link FileStore} contract (server-side, direct and resumable
 * uploads, content-addressed de-duplication, byte ranges, presigned URLs), its adapters
 * for the local disk and S3-compatible storage, and what a server needs around them:
 * upload checks (sniffed types, sizes, quotas, a moderation hook), image processing, the
 * duration of audio and video, and HTTP serving with Range, ETag and safe headers.
 */

export {
  createLocalDiskFileStore,
  type LocalDiskFileStoreOptions,
} from "./disk/local-disk-file-store.js";
export { cleanFileName, isFileId, isSha256, newFileId } from "./file-ids.js";
export {
  type ByteRange,
  DEFAULT_PRESIGN_SECONDS,
  type DirectUpload,
  type DirectUploadOptions,
  type ExistingBytesFile,
  type FileMeta,
  type FileStore,
  FileStoreError,
  type FileStoreErrorCode,
  MAX_PART_NUMBER,
  type NewFile,
  type NewUpload,
  type OpenedFile,
  type PendingUpload,
  type PresignGetOptions,
  type UploadedPart,
} from "./file-store.js";
export {
  DEFAULT_THUMBNAIL_SIZE,
  PROCESSED_IMAGE_TYPES,
  type ProcessedImage,
  type ProcessImageOptions,
  processImage,
} from "./images/process-image.js";
export {
  DEFAULT_MEDIA_DURATION_MAX_BYTES,
  type MediaDurationOptions,
  mediaDuration,
} from "./media/media-duration.js";
export {
  createS3Client,
  createS3FileStore,
  type S3Connection,
  type S3FileStoreOptions,
} from "./s3/s3-file-store.js";
export { parseByteRange } from "./serving/byte-range.js";
export {
  contentDisposition,
  type FileRequest,
  type FileResponse,
  type FileResponseOptions,
  fileResponse,
} from "./serving/file-response.js";
export {
  createFileUrlSigner,
  DEFAULT_SIGNED_URL_SECONDS,
  type FileUrlSigner,
  type FileUrlSignerOptions,
  MIN_FILE_URL_SECRET_BYTES,
  type SignedFileAccess,
} from "./serving/signed-file-url.js";
export { sniffMatches } from "./uploads/sniff-type.js";
export {
  createUploadGuard,
  DEFAULT_ALLOWED_TYPES,
  DEFAULT_MAX_UPLOAD_BYTES,
  type UploadCandidate,
  type UploadGuard,
  type UploadGuardOptions,
} from "./uploads/upload-guard.js";
export {
  createMemoryUploadQuotaStore,
  DEFAULT_UPLOAD_QUOTA,
  type UploadQuotaLimits,
  type UploadQuotaStore,
} from "./uploads/upload-quota.js";
export { type UploadRejectedCode, UploadRejectedError } from "./uploads/upload-rejected-error.js";
