import { ImError, type ImHooks, type MessageBody } from "@lucky-im/core";
import { isFileId } from "@lucky-im/files";

/**
 * True for exactly `/files/<id>`, the relative url `POST /files` returns. Absolute urls are
 * refused, even with that path: another host would learn who opened the message and when.
 */
function isOwnFileUrl(url: string): boolean {
  const match = /^\/files\/([^/?#]+)$/.exec(url);
  return match !== null && isFileId(match[1]!);
}

/**
 * A `beforeSend` hook: image, voice, video and file messages must point at a
 * file uploaded with `POST /files` (so the page never renders a foreign or a
 * `javascript:` URL from a message).
 */
export const mediaUrlHook: Required<Pick<ImHooks, "beforeSend">> = {
  async beforeSend({ body }): Promise<MessageBody | undefined> {
    if (
      body.type !== "image" &&
      body.type !== "voice" &&
      body.type !== "video" &&
      body.type !== "file"
    ) {
      return undefined;
    }
    const urls = [body.url, ...(body.thumbnailUrl === undefined ? [] : [body.thumbnailUrl])];
    if (!urls.every(isOwnFileUrl)) {
      throw new ImError("bad_request", "a media message must carry the url POST /files returned");
    }
    return undefined;
  },
};
