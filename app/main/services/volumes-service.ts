import type { Readable } from 'node:stream';
import type { VolumeInspectInfo } from 'dockerode';
import { ServiceError } from '../../shared/errors';
import type { VolumesService } from '../../shared/services/volumes';
import type { VolumeEntry, VolumeSummary } from '../../shared/types';
import type { EngineAccess } from '../engine/engine-manager';
import { toServiceError } from './errors';
import { TarHeaderReader } from './tar-listing';

const browseMountPoint = '/berth-volume';
const maxListedEntries = 5000;

interface DfVolume {
  Name: string;
  UsageData?: { Size?: number; RefCount?: number } | null;
}

export function toVolumeSummary(
  volume: VolumeInspectInfo & { CreatedAt?: string },
  usage?: DfVolume,
): VolumeSummary {
  return {
    name: volume.Name,
    driver: volume.Driver,
    mountpoint: volume.Mountpoint,
    ...(volume.CreatedAt ? { created: volume.CreatedAt } : {}),
    labels: volume.Labels ?? {},
    size: usage?.UsageData?.Size ?? -1,
    refCount: usage?.UsageData?.RefCount ?? -1,
  };
}

/** Lists the direct children of `dir` from a tar stream of that directory. */
export async function listArchive(stream: Readable, dir: string): Promise<VolumeEntry[]> {
  const entries: VolumeEntry[] = [];
  const reader = new TarHeaderReader((entry) => {
    // The archive's paths start with the directory's own base name ("berth-volume/…").
    const relative = entry.path.split('/').slice(1);
    if (relative.length === 1 && entries.length < maxListedEntries) {
      entries.push({ ...entry, path: `${dir.replace(/\/+$/, '')}/${relative[0]}` });
    }
  });
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      if (reader.ended || entries.length >= maxListedEntries) {
        stream.destroy();
        resolve();
      }
    });
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', (error) => reject(toServiceError(error)));
  });
  return entries.sort((a, b) =>
    a.type === b.type
      ? a.name.localeCompare(b.name)
      : a.type === 'directory'
        ? -1
        : b.type === 'directory'
          ? 1
          : 0,
  );
}

export function createVolumesService(engine: EngineAccess): VolumesService {
  return {
    list: async () => {
      const docker = engine.docker();
      try {
        const [{ Volumes }, df] = await Promise.all([
          docker.listVolumes(),
          docker.df() as Promise<{ Volumes?: DfVolume[] | null }>,
        ]);
        const usage = new Map((df.Volumes ?? []).map((entry) => [entry.Name, entry]));
        return (Volumes ?? []).map((volume) => toVolumeSummary(volume, usage.get(volume.Name)));
      } catch (error) {
        throw toServiceError(error);
      }
    },
    create: async ({ name, labels }) => {
      try {
        // dockerode resolves to a Volume handle (not the engine's answer): inspect it.
        const created = (await engine.docker().createVolume({
          ...(name ? { Name: name } : {}),
          Labels: labels ?? {},
        })) as unknown as { name: string; inspect(): Promise<VolumeInspectInfo> };
        return toVolumeSummary(await created.inspect());
      } catch (error) {
        throw toServiceError(error);
      }
    },
    remove: async ({ name, force }) => {
      try {
        await engine
          .docker()
          .getVolume(name)
          .remove({ force: force ?? false });
      } catch (error) {
        const serviceError = toServiceError(error);
        if (serviceError.code === 'conflict') {
          throw new ServiceError(
            'conflict',
            `Volume ${name} is in use by a container: ${serviceError.message}`,
            {
              engineMessage: serviceError.message,
            },
          );
        }
        throw serviceError;
      }
    },
    prune: async () => {
      try {
        const result = await engine.docker().pruneVolumes();
        return { deleted: result.VolumesDeleted ?? [], spaceReclaimed: result.SpaceReclaimed ?? 0 };
      } catch (error) {
        throw toServiceError(error);
      }
    },
    browse: async ({ name, path }) => {
      const docker = engine.docker();
      // A created (never started) helper container mounts the volume read-only; the archive API
      // then reads it without running anything inside.
      const images = await docker.listImages().catch((error: unknown) => {
        throw toServiceError(error);
      });
      const image = images.find((candidate) =>
        (candidate.RepoTags ?? []).some((tag) => tag !== '<none>:<none>'),
      );
      if (!image) {
        throw new ServiceError(
          'not_found',
          'Browsing a volume needs at least one image on the engine (pull any small image, e.g. busybox).',
        );
      }
      let helperId: string | undefined;
      try {
        const helper = await docker.createContainer({
          Image: image.Id,
          Cmd: ['true'],
          Entrypoint: [],
          Labels: { 'org.berth.volume-browser': name },
          HostConfig: { Binds: [`${name}:${browseMountPoint}:ro`], NetworkMode: 'none' },
        });
        helperId = helper.id;
        const target = `${browseMountPoint}${path === '/' ? '' : path}`;
        const archive = (await helper.getArchive({ path: target })) as unknown as Readable;
        const entries = await listArchive(archive, path === '/' ? '' : path);
        return entries;
      } catch (error) {
        throw toServiceError(error);
      } finally {
        // Best effort: the listing (or its error) is what the user asked for; a helper that cannot
        // be removed carries the org.berth.volume-browser label and shows up in the list.
        if (helperId)
          await docker
            .getContainer(helperId)
            .remove({ force: true, v: false })
            .catch(() => undefined);
      }
    },
  };
}
