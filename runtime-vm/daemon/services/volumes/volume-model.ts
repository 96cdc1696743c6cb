// Volume records and the Docker wire shapes for volumes and container mount points.
import type { MountSpec } from './mount-spec';

export const anonymousLabel = 'com.docker.volume.anonymous';

export interface VolumeRecord {
  name: string;
  driver: 'local';
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export interface DockerVolume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string>;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string>;
  Scope: 'local';
  UsageData?: { Size: number; RefCount: number };
}

/** A container's Mounts[] entry in inspect. */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** The OCI runtime-spec mount berthd gives runc (same fields as drivers/runtime's OciMount). */
export interface RuntimeMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface PreparedMounts {
  mounts: RuntimeMount[];
  mountPoints: MountPoint[];
  /** Names of the volumes this container now references (anonymous ones included). */
  volumes: string[];
  /**
   * The specs with anonymous volumes named: keep these with the container and pass them on the
   * next start, or every start would make a new anonymous volume.
   */
  resolved: MountSpec[];
}

export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}
