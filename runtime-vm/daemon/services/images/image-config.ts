// The OCI image config ("config" blob) as far as berthd reads it.
import { InvalidArgumentError } from '../../errors';

/** The runtime defaults section (`config` in the blob), handed to containers. */
export interface ImageConfig {
  Hostname?: string;
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    StartPeriod?: number;
    Retries?: number;
  } | null;
  OnBuild?: string[] | null;
  Shell?: string[] | null;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfigBlob {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: ImageConfig;
  container_config?: ImageConfig;
  container?: string;
  docker_version?: string;
  comment?: string;
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

export function parseImageConfig(body: Buffer): ImageConfigBlob {
  let json: ImageConfigBlob;
  try {
    json = JSON.parse(body.toString('utf8')) as ImageConfigBlob;
  } catch {
    throw new InvalidArgumentError('image config is not JSON');
  }
  if (!json || typeof json !== 'object' || !json.rootfs || !Array.isArray(json.rootfs.diff_ids)) {
    throw new InvalidArgumentError('image config has no rootfs.diff_ids');
  }
  if (
    !json.rootfs.diff_ids.every((d) => typeof d === 'string' && /^sha256:[a-f0-9]{64}$/.test(d))
  ) {
    throw new InvalidArgumentError('image config has an invalid diff_id');
  }
  return json;
}
