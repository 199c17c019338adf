import type { Readable } from "node:stream";

/** What is known about a stored file. */
export interface FileMeta {
  /** A random 128-bit id (base64url, 22 characters): the unguessable part of the file's URL. */
  fileId: string;
  /** The name the uploader gave, cleaned (see {@link cleanFileName}); never used as a path. */
  name: string;
  /** The content type the upload declared and the checks accepted. */
  mime: string;
  /** Size in bytes. */
  size: number;
  /** Who uploaded it. */
  ownerId: string;
  /** When, in ms since the epoch. */
  createdAt: number;
  /** SHA-256 of the bytes, lower-case hex: files with the same bytes share one stored copy. */
  sha256: string;
  /**
   * The conversation the file was uploaded for (an attachment), when the upload named one:
   * with members-only file access, only its members and the uploader may download it.
   */
  conversationId?: string;
}

/** What a server-side upload hands to {@link FileStore.put}. */
export interface NewFile {
  /** The name the uploader gave (cleaned before it is stored). */
  name: string;
  /** The content type. */
  mime: string;
  /** Who uploads it. */
  ownerId: string;
  /** The bytes. */
  data: Uint8Array;
  /** The conversation the file is for (kept as {@link FileMeta.conversationId}). */
  conversationId?: string;
}

/** A file that reuses bytes already stored: {@link FileStore.putExisting}. */
export interface ExistingBytesFile {
  /** SHA-256 of the bytes, lower-case hex. */
  sha256: string;
  /** The name the uploader gave. */
  name: string;
  /** The content type. */
  mime: string;
  /** Who uploads it. */
  ownerId: string;
  /** The conversation the file is for (kept as {@link FileMeta.conversationId}). */
  conversationId?: string;
}

/** An inclusive byte range, as in an HTTP `Range` header: `start` to `end`, both counted from 0. */
export interface ByteRange {
  /** The first byte. */
  start: number;
  /** The last byte (inclusive). */
  end: number;
}

/** A stored file opened for reading. */
export interface OpenedFile {
  /** Its metadata. */
  meta: FileMeta;
  /** The bytes asked for: the whole file, or the range. */
  body: Readable;
}

/** What a multipart (resumable) or direct upload is started with. */
export interface NewUpload {
  /** The name the uploader gave. */
  name: string;
  /** The declared content type. */
  mime: string;
  /** Who uploads it. */
  ownerId: string;
  /** The conversation the file is for (kept as {@link FileMeta.conversationId}). */
  conversationId?: string;
  /**
   * The declared total size in bytes (multipart): parts that would pass it are refused, and
   * completion checks the joined size is exactly this. Without it only the part count bounds
   * what an upload stages.
   */
  size?: number;
}

/** An upload in progress. */
export interface PendingUpload {
  /** A random id (base64url, 22 characters) naming the upload. */
  uploadId: string;
}

/** A part received by {@link FileStore.uploadPart}. */
export interface UploadedPart {
  /** 1 to {@link MAX_PART_NUMBER}. */
  partNumber: number;
  /** The part's entity tag, given back in {@link FileStore.completeUpload}. */
  etag: string;
  /** Its size in bytes. */
  size: number;
}

/** A presigned upload: the client sends the bytes straight to the storage. */
export interface DirectUpload extends PendingUpload {
  /** Where to send the bytes. */
  url: string;
  /** The HTTP method to use. */
  method: "PUT";
  /** Headers the request must carry exactly (they are part of the signature). */
  headers: Record<string, string>;
  /** When the URL stops working, in ms since the epoch. */
  expiresAt: number;
}

/** Options of {@link FileStore.createDirectUpload}. */
export interface DirectUploadOptions extends NewUpload {
  /** The exact size in bytes the client will send (signed: storage refuses another length). */
  size: number;
  /** How long the URL works, in seconds; default {@link DEFAULT_PRESIGN_SECONDS}. */
  expiresInSeconds?: number;
}

/** Options of {@link FileStore.presignGet}. */
export interface PresignGetOptions {
  /** How long the URL works, in seconds; default {@link DEFAULT_PRESIGN_SECONDS}. */
  expiresInSeconds?: number;
  /** The `Content-Disposition` the storage answers with. */
  contentDisposition?: string;
  /** The moment the signature is made; default now (tests make expired URLs with a past date). */
  signedAt?: Date;
}

/** Largest multipart part number (the S3 limit). */
export const MAX_PART_NUMBER = 10_000;

/** Default life of a presigned URL: 5 minutes. */
export const DEFAULT_PRESIGN_SECONDS = 300;

/**
 * Where uploaded files live. Bytes are stored once per SHA-256 (content-addressed);
 * each upload gets its own random `fileId` with its own name, type and owner.
 * Ids that do not have the shape of an id are never looked up (`undefined`).
 *
 * Failures carry a {@link FileStoreError} code: `not_found`, `bad_request`,
 * `range_not_satisfiable`, `unsupported`.
 */
export interface FileStore {
  /** Stores bytes the server received under a fresh id. */
  put(file: NewFile): Promise<FileMeta>;
  /**
   * "Instant upload": a new file for bytes already stored, known by their SHA-256.
   * Resolves `undefined` when no stored bytes have that hash (the client then uploads them).
   */
  putExisting(file: ExistingBytesFile): Promise<FileMeta | undefined>;
  /** The metadata of a file, or `undefined`. */
  head(fileId: string): Promise<FileMeta | undefined>;
  /**
   * Opens a file, or part of it. A range past the end rejects with
   * `range_not_satisfiable`; an `end` past the last byte is cut to it.
   */
  get(fileId: string, range?: ByteRange): Promise<OpenedFile | undefined>;
  /** Deletes a file; its bytes go when no other file shares them. True when it existed. */
  delete(fileId: string): Promise<boolean>;

  /** Starts a resumable upload, sent in numbered parts. */
  createUpload(upload: NewUpload): Promise<PendingUpload>;
  /** Stores one part (sending a number again replaces that part: a resumed upload resends it). */
  uploadPart(uploadId: string, partNumber: number, data: Uint8Array): Promise<UploadedPart>;
  /** The parts received so far, by number: a client resumes from what is missing. */
  listParts(uploadId: string): Promise<UploadedPart[]>;
  /**
   * Joins the parts, in ascending order, into a file. Rejects with `bad_request` when the
   * list is empty, not ascending, or names a part that was not received (or another etag).
   */
  completeUpload(
    uploadId: string,
    parts: ReadonlyArray<Pick<UploadedPart, "partNumber" | "etag">>,
  ): Promise<FileMeta>;
  /** Forgets an upload and its parts. */
  abortUpload(uploadId: string): Promise<void>;
  /**
   * Forgets every upload (multipart or direct) started before `startedBefore` (ms since the
   * epoch) and not completed: its staged bytes, parts and record. Resolves how many it removed.
   * A server runs it now and then, so abandoned uploads do not keep storage forever.
   */
  purgeStaleUploads(startedBefore: number): Promise<number>;

  /**
   * A presigned URL the client uploads to directly, when the storage supports it
   * (`unsupported` otherwise); then {@link FileStore.completeDirectUpload}.
   */
  createDirectUpload(options: DirectUploadOptions): Promise<DirectUpload>;
  /** Records a direct upload once the client sent the bytes; `bad_request` when they are missing or of another size. */
  completeDirectUpload(uploadId: string): Promise<FileMeta>;
  /** A short-lived URL that reads the file straight from the storage, or `undefined` when the storage cannot presign. */
  presignGet(fileId: string, options?: PresignGetOptions): Promise<string | undefined>;
}

/** Why a {@link FileStore} call failed. */
export type FileStoreErrorCode =
  | "not_found"
  | "bad_request"
  | "range_not_satisfiable"
  | "unsupported";

/** The error a {@link FileStore} rejects with on bad input. */
export class FileStoreError extends Error {
  /** What went wrong. */
  readonly code: FileStoreErrorCode;

  /** Makes an error with a code and a message for people. */
  constructor(code: FileStoreErrorCode, message: string) {
    super(message);
    this.name = "FileStoreError";
    this.code = code;
  }
}
