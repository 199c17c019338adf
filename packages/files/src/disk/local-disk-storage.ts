import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ObjectStorage } from "../object-storage.js";

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === "ENOENT";

/**
 * Objects as files under `dir`: key `a/b` is `<dir>/a/b`. Keys come from the file store
 * (validated ids and hashes), never from a client. Writes go to a temporary name first
 * and are renamed, so a reader never sees half an object.
 * @internal
 */
export function createLocalDiskStorage(dir: string): ObjectStorage {
  const path = (key: string) => join(dir, key);
  const temp = (key: string) => `${path(key)}.${randomBytes(6).toString("hex")}.tmp`;
  const partPath = (multipartId: string, n: number) =>
    join(dir, "multipart", multipartId, String(n).padStart(5, "0"));

  const writeAtomic = async (target: string, data: Uint8Array) => {
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await writeFile(tmp, data, { flag: "wx" });
      await rename(tmp, target);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  };

  return {
    put: (key, data) => writeAtomic(path(key), data),

    async get(key, range) {
      try {
        // Opened before returning: a missing file is `undefined`, not a failing stream.
        const size = (await stat(path(key))).size;
        if (range && range.start >= size) return undefined;
        return createReadStream(path(key), range ? { start: range.start, end: range.end } : {});
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    async size(key) {
      try {
        return (await stat(path(key))).size;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    delete: (key) => rm(path(key), { force: true }),

    async list(prefix, limit) {
      // Prefixes the file store uses end with "/": a folder.
      try {
        const names = (await readdir(path(prefix))).filter((n) => !n.endsWith(".tmp")).sort();
        return names.slice(0, limit).map((name) => `${prefix}${name}`);
      } catch (error) {
        if (isMissing(error)) return [];
        throw error;
      }
    },

    async move(from, to) {
      await mkdir(dirname(path(to)), { recursive: true });
      await rename(path(from), path(to));
    },

    async createMultipart() {
      const multipartId = randomBytes(16).toString("hex");
      await mkdir(join(dir, "multipart", multipartId), { recursive: true });
      return multipartId;
    },

    async uploadPart(_key, multipartId, partNumber, data) {
      await writeAtomic(partPath(multipartId, partNumber), data);
      return `"${randomBytes(8).toString("hex")}-${data.length}"`;
    },

    async completeMultipart(key, multipartId, parts) {
      const target = path(key);
      await mkdir(dirname(target), { recursive: true });
      const tmp = temp(key);
      try {
        const out = createWriteStream(tmp, { flags: "wx" });
        await pipeline(async function* () {
          for (const part of parts) yield* createReadStream(partPath(multipartId, part.partNumber));
        }, out);
        await rename(tmp, target);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
      await rm(join(dir, "multipart", multipartId), { recursive: true, force: true });
    },

    async abortMultipart(_key, multipartId) {
      await rm(join(dir, "multipart", multipartId), { recursive: true, force: true });
    },
  };
}
