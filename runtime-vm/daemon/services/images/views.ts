// Docker-shaped views of images: the list summary, inspect and history bodies.
import { familiarString, parseReference } from '../../drivers/registry/reference';
import type { ImageRecord } from '../../store/image-store';
import type { ImageConfigBlob } from './image-config';

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  /** Same as Size; API < 1.44 only (see imageSummaryForApi). */
  VirtualSize?: number;
  Labels: Record<string, string>;
  Containers: number;
}

/** True when the negotiated `apiVersion` (e.g. '1.44') is `minimum` or newer. */
export function apiAtLeast(apiVersion: string, minimum: string): boolean {
  const [aMajor = 0, aMinor = 0] = apiVersion.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = minimum.split('.').map(Number);
  return aMajor !== bMajor ? aMajor > bMajor : aMinor >= bMinor;
}

/** The list entry as the negotiated API version shows it: VirtualSize was dropped in 1.44. */
export function imageSummaryForApi(summary: ImageSummary, apiVersion: string): ImageSummary {
  if (apiAtLeast(apiVersion, '1.44')) {
    const { VirtualSize: _dropped, ...rest } = summary;
    return rest;
  }
  return { ...summary, VirtualSize: summary.Size };
}

/**
 * Image inspect as the negotiated API version shows it. 1.44 dropped VirtualSize and omits
 * Created when the image config has none (older versions show Go's zero time); 1.45 dropped the
 * legacy builder's Container and ContainerConfig.
 */
export function imageInspectForApi(
  view: Record<string, unknown>,
  apiVersion: string,
): Record<string, unknown> {
  const shaped: Record<string, unknown> = { ...view };
  if (apiAtLeast(apiVersion, '1.44')) {
    delete shaped['VirtualSize'];
    if (shaped['Created'] === undefined) delete shaped['Created'];
  } else {
    shaped['VirtualSize'] = shaped['Size'];
    shaped['Created'] ??= '0001-01-01T00:00:00Z';
  }
  if (apiAtLeast(apiVersion, '1.45')) {
    delete shaped['Container'];
    delete shaped['ContainerConfig'];
  }
  return shaped;
}

export function familiarTag(canonical: string): string {
  return familiarString(parseReference(canonical));
}

export function familiarDigestRef(canonical: string): string {
  return familiarString(parseReference(canonical, { defaultToLatest: false }));
}

export function createdSeconds(record: ImageRecord): number {
  const ms = Date.parse(record.created);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

export function summaryView(
  record: ImageRecord,
  tags: string[],
  config: ImageConfigBlob,
  containers: number,
): ImageSummary {
  return {
    Id: record.id,
    ParentId: '',
    RepoTags: tags.map(familiarTag),
    RepoDigests: record.repoDigests.map(familiarDigestRef),
    Created: createdSeconds(record),
    Size: record.size,
    SharedSize: -1,
    Labels: config.config?.Labels ?? {},
    Containers: containers,
  };
}

export function inspectView(
  record: ImageRecord,
  tags: string[],
  config: ImageConfigBlob,
  layerDirs: string[],
): Record<string, unknown> {
  const lower = [...layerDirs].reverse();
  return {
    Id: record.id,
    RepoTags: tags.map(familiarTag),
    RepoDigests: record.repoDigests.map(familiarDigestRef),
    Parent: '',
    Comment: config.comment ?? '',
    // Absent when the config has no date; imageInspectForApi decides how each version shows it.
    Created: config.created,
    Container: config.container ?? '',
    ContainerConfig: config.container_config ?? {},
    DockerVersion: config.docker_version ?? '',
    Author: config.author ?? '',
    Config: config.config ?? {},
    Architecture: config.architecture,
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os,
    Size: record.size,
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        // Read-only image layers; upper/work dirs exist only per container.
        LowerDir: lower.slice(1).join(':') || undefined,
        UpperDir: lower[0],
        MergedDir: '',
        WorkDir: '',
      },
    },
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: record.lastTagTime ?? '0001-01-01T00:00:00Z' },
  };
}

export interface HistoryView {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** Newest first; only the top entry carries the image ID, as Docker shows `<missing>` for the rest. */
export function historyView(
  record: ImageRecord,
  tags: string[],
  config: ImageConfigBlob,
  layerSizes: number[],
): HistoryView[] {
  const entries = config.history ?? [];
  const rows: HistoryView[] = [];
  let layerIndex = 0;
  for (const entry of entries) {
    const size = entry.empty_layer ? 0 : (layerSizes[layerIndex++] ?? 0);
    rows.push({
      Id: '<missing>',
      Created: entry.created ? Math.floor(Date.parse(entry.created) / 1000) || 0 : 0,
      CreatedBy: entry.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: entry.comment ?? '',
    });
  }
  if (rows.length === 0) {
    // No history in the config (e.g. imported images): one row per layer.
    for (const size of layerSizes) {
      rows.push({
        Id: '<missing>',
        Created: createdSeconds(record),
        CreatedBy: '',
        Tags: null,
        Size: size,
        Comment: '',
      });
    }
  }
  rows.reverse();
  const top = rows[0];
  if (top) {
    top.Id = record.id;
    top.Tags = tags.map(familiarTag);
  }
  return rows;
}
