import { method, type ServiceOf } from '../contract';
import type { ContainerDirectory, ContainerFileContent } from '../workbench-types';
import { dockerRef, v } from '../validation';

/** Largest file downloaded through the contract (it travels base64 in one message). */
export const maxDownloadBytes = 32 * 1024 * 1024;
/** Largest upload: one client message stays under the transports' 1 MiB message cap. */
export const maxUploadBytes = 512 * 1024;

/** An absolute path without `..` segments or control characters. */
const containerPath = v.string({
  min: 1,
  max: 4096,
  pattern: /^\/(?!.*(^|\/)\.\.(\/|$))[^\p{Cc}]*$/u,
});
/** A plain file name: no slashes, not . or .. */
const fileName = v.string({ min: 1, max: 255, pattern: /^(?!\.\.?$)[^/\p{Cc}]+$/u });

export const filesSpec = {
  /** Lists one directory of the container's filesystem (archive API; works when stopped). */
  list: method<ContainerDirectory>()(v.object({ id: dockerRef, path: containerPath })),
  /** Reads one regular file (at most maxDownloadBytes). */
  download: method<ContainerFileContent>()(v.object({ id: dockerRef, path: containerPath })),
  /** Writes one file into a directory of the container, replacing a file of the same name. */
  upload: method<{ path: string }>()(
    v.object({
      id: dockerRef,
      directory: containerPath,
      name: fileName,
      contentBase64: v.string({ max: Math.ceil(maxUploadBytes / 3) * 4 }),
    }),
  ),
};

export type FilesService = ServiceOf<typeof filesSpec>;
