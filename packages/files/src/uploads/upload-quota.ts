/** Per-user upload limits, counted per UTC day. */
export interface UploadQuotaLimits {
  /** Bytes a user may upload per day; default {@link DEFAULT_UPLOAD_QUOTA}. */
  bytesPerDay: number;
  /** Files a user may upload per day; default {@link DEFAULT_UPLOAD_QUOTA}. */
  filesPerDay: number;
}

/** Default quota: 1 GiB and 500 files per user per day. */
export const DEFAULT_UPLOAD_QUOTA: UploadQuotaLimits = {
  bytesPerDay: 1024 * 1024 * 1024,
  filesPerDay: 500,
};

/**
 * Where upload counts live. `reserve` checks and counts in one step, so two
 * uploads racing cannot both take the last of a quota. A deployment with several
 * nodes implements it over a shared store (Redis `INCRBY` with a day key, a SQL row).
 */
export interface UploadQuotaStore {
  /**
   * Counts one file of `bytes` for `ownerId` on `day` (`YYYY-MM-DD`, UTC) when that stays
   * within `limits`; resolves false (and counts nothing) otherwise.
   */
  reserve(ownerId: string, day: string, bytes: number, limits: UploadQuotaLimits): Promise<boolean>;
}

/**
 * An {@link UploadQuotaStore} in this process's memory: right for one node and tests.
 * Days other than the latest one seen are dropped, so it does not grow.
 */
export function createMemoryUploadQuotaStore(): UploadQuotaStore {
  let currentDay = "";
  let usage = new Map<string, { bytes: number; files: number }>();
  return {
    async reserve(ownerId, day, bytes, limits) {
      if (day !== currentDay) {
        currentDay = day;
        usage = new Map();
      }
      const used = usage.get(ownerId) ?? { bytes: 0, files: 0 };
      if (used.files + 1 > limits.filesPerDay || used.bytes + bytes > limits.bytesPerDay) {
        return false;
      }
      usage.set(ownerId, { bytes: used.bytes + bytes, files: used.files + 1 });
      return true;
    },
  };
}
