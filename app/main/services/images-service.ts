import type { ImageInfo } from 'dockerode';
import { ServiceError } from '../../shared/errors';
import type { ImagesService } from '../../shared/services/images';
import type { ImageSummary } from '../../shared/types';
import type { EngineAccess } from '../engine/engine-manager';
import { toServiceError } from './errors';
import { pullImage } from './pull';

export function toImageSummary(image: ImageInfo, usedImageIds: ReadonlySet<string>): ImageSummary {
  const tags = (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
  const containers = image.Containers ?? -1;
  return {
    id: image.Id,
    tags,
    digests: (image.RepoDigests ?? []).filter((digest) => digest !== '<none>@<none>'),
    size: image.Size,
    created: image.Created,
    containers,
    inUse: usedImageIds.has(image.Id) || containers > 0,
  };
}

export function createImagesService(engine: EngineAccess): ImagesService {
  return {
    list: async () => {
      try {
        const docker = engine.docker();
        const [images, containers] = await Promise.all([
          docker.listImages({ all: false }),
          docker.listContainers({ all: true }),
        ]);
        const used = new Set(containers.map((container) => container.ImageID));
        return images.map((image) => toImageSummary(image, used));
      } catch (error) {
        throw toServiceError(error);
      }
    },
    pull: async ({ ref }, options = {}) => {
      await pullImage(engine.docker(), ref, options.onProgress, options.signal);
      return { ref };
    },
    tag: async ({ id, repo, tag }) => {
      try {
        await engine
          .docker()
          .getImage(id)
          .tag({ repo, tag: tag ?? 'latest' });
      } catch (error) {
        throw toServiceError(error);
      }
    },
    remove: async ({ id, force }) => {
      try {
        await engine
          .docker()
          .getImage(id)
          .remove({ force: force ?? false });
      } catch (error) {
        const serviceError = toServiceError(error);
        if (serviceError.code !== 'conflict') throw serviceError;
        // Say why, in words a user can act on.
        throw new ServiceError(
          'conflict',
          `The image is in use: ${serviceError.message}. Remove the containers that use it first, or force the removal of a tag shared by several images.`,
          { engineMessage: serviceError.message },
        );
      }
    },
    prune: async ({ dangling }) => {
      try {
        const result = await engine
          .docker()
          .pruneImages({ filters: { dangling: [dangling === false ? 'false' : 'true'] } });
        return {
          deleted: (result.ImagesDeleted ?? []).map(
            (entry) => entry.Deleted ?? entry.Untagged ?? '',
          ),
          spaceReclaimed: result.SpaceReclaimed ?? 0,
        };
      } catch (error) {
        throw toServiceError(error);
      }
    },
    history: async ({ id }) => {
      try {
        const entries = (await engine.docker().getImage(id).history()) as {
          Id: string;
          Created: number;
          CreatedBy: string;
          Size: number;
          Comment: string;
        }[];
        return entries.map((entry) => ({
          id: entry.Id,
          created: entry.Created,
          createdBy: entry.CreatedBy,
          size: entry.Size,
          comment: entry.Comment,
        }));
      } catch (error) {
        throw toServiceError(error);
      }
    },
  };
}
