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
  VirtualSize: number;
  Labels: Record<string, string>;
  Containers: number;
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
    VirtualSize: record.size,
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
    Created: config.created ?? record.created,
    Container: config.container ?? '',
    ContainerConfig: config.container_config ?? {},
    DockerVersion: config.docker_version ?? '',
    Author: config.author ?? '',
    Config: config.config ?? {},
    Architecture: config.architecture,
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os,
    Size: record.size,
    VirtualSize: record.size,
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
