// What containers need from the volume service (the consumer owns this interface), and the
// mount specs of a container with its anonymous volumes pinned to the names they got first.
import type { OciMount } from '../../drivers/runtime/oci-spec';
import { parseContainerMounts, type MountSpec } from '../volumes/mount-spec';
import type { HostConfig } from './types';

export interface PreparedVolumeMounts {
  mounts: OciMount[];
  /** inspect's Mounts[] entries. */
  mountPoints: { Type: string; Name?: string; Destination: string }[];
  volumes: string[];
}

export interface ContainerVolumes {
  /** Creates/mounts volumes, populating new ones from the image at `rootfsPath`. */
  prepareMounts(
    containerId: string,
    specs: readonly MountSpec[],
    rootfsPath?: string,
  ): Promise<PreparedVolumeMounts>;
  reference(containerId: string, names: readonly string[]): void;
  /** Drops the container's references; with removeAnonymous also its anonymous volumes. */
  removeContainerVolumes(containerId: string, removeAnonymous: boolean): Promise<void>;
}

/**
 * Mount specs for a start. An image VOLUME or `-v /path` gets an anonymous volume on the first
 * start; later starts reuse it (names are kept in `anonymous`, by target).
 */
export function mountSpecsFor(
  host: HostConfig,
  configVolumes: Record<string, object> | null | undefined,
  anonymous: Record<string, string> = {},
): MountSpec[] {
  const specs = parseContainerMounts(
    {
      Binds: host.Binds ?? null,
      Mounts: (host.Mounts ?? null) as never,
      Tmpfs: host.Tmpfs ?? null,
    },
    configVolumes ?? {},
  );
  return specs.map((spec) =>
    spec.type === 'volume' && spec.name === '' && anonymous[spec.target]
      ? { ...spec, name: anonymous[spec.target] as string }
      : spec,
  );
}
