/**
 * @packageDocumentation
 * The conformance kit of the `@lucky-im/files` contract: a vitest suite that every
 * `FileStore` implementation runs. Import it from `@lucky-im/files/testing` in a test
 * file; it needs `vitest` (an optional peer dependency of `@lucky-im/files`).
 *
 * @example
 * ```ts
 * import { createLocalDiskFileStore } from "@lucky-im/files";
 * import { fileStoreConformance } from "@lucky-im/files/testing";
 *
 * fileStoreConformance({
 *   name: "disk",
 *   create: () => createLocalDiskFileStore({ dir: "/tmp/files-test" }),
 *   capabilities: { presign: false, abortMultipart: true },
 *   partSize: 1024,
 * });
 * ```
 */

export {
  type FileStoreCapabilities,
  type FileStoreConformanceOptions,
  fileStoreConformance,
} from "./file-store-conformance.js";
