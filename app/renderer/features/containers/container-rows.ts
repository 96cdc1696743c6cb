// Turns the container list into table rows: search, state filter, then compose projects as
// collapsible groups (ungrouped containers last).
import type { ContainerSummary } from '../../../shared/types';

export type StateFilter = 'all' | 'running' | 'stopped';

export type ContainerRow =
  | {
      kind: 'group';
      project: string;
      count: number;
      running: number;
      collapsed: boolean;
      ids: string[];
    }
  | { kind: 'container'; container: ContainerSummary; grouped: boolean };

export function matchesFilter(
  container: ContainerSummary,
  search: string,
  filter: StateFilter,
): boolean {
  if (filter === 'running' && container.state !== 'running' && container.state !== 'paused')
    return false;
  if (filter === 'stopped' && (container.state === 'running' || container.state === 'paused'))
    return false;
  const needle = search.trim().toLowerCase();
  if (!needle) return true;
  return [
    container.name,
    container.image,
    container.id,
    container.composeProject ?? '',
    container.status,
  ].some((field) => field.toLowerCase().includes(needle));
}

export function buildRows(
  containers: readonly ContainerSummary[],
  search: string,
  filter: StateFilter,
  collapsed: ReadonlySet<string>,
): ContainerRow[] {
  const matching = containers.filter((container) => matchesFilter(container, search, filter));
  const projects = new Map<string, ContainerSummary[]>();
  const loose: ContainerSummary[] = [];
  for (const container of matching) {
    if (container.composeProject) {
      const members = projects.get(container.composeProject) ?? [];
      members.push(container);
      projects.set(container.composeProject, members);
    } else {
      loose.push(container);
    }
  }
  const byName = (a: ContainerSummary, b: ContainerSummary) => a.name.localeCompare(b.name);
  const rows: ContainerRow[] = [];
  for (const project of [...projects.keys()].sort()) {
    const members = projects.get(project)!.sort(byName);
    const isCollapsed = collapsed.has(project);
    rows.push({
      kind: 'group',
      project,
      count: members.length,
      running: members.filter((member) => member.state === 'running').length,
      collapsed: isCollapsed,
      ids: members.map((member) => member.id),
    });
    if (!isCollapsed)
      for (const container of members) rows.push({ kind: 'container', container, grouped: true });
  }
  for (const container of loose.sort(byName))
    rows.push({ kind: 'container', container, grouped: false });
  return rows;
}
