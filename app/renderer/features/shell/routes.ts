// Hash routes (#/containers …): work the same over http:// and file://.
import { useSyncExternalStore } from 'react';

export type Page = 'containers' | 'images' | 'volumes' | 'networks' | 'settings';
export const pages: { id: Page; title: string }[] = [
  { id: 'containers', title: 'Containers' },
  { id: 'images', title: 'Images' },
  { id: 'volumes', title: 'Volumes' },
  { id: 'networks', title: 'Networks' },
  { id: 'settings', title: 'Settings' },
];

function currentPage(): Page {
  const id = window.location.hash.replace(/^#\/?/, '');
  return pages.some((page) => page.id === id) ? (id as Page) : 'containers';
}

export function navigate(page: Page): void {
  window.location.hash = `#/${page}`;
}

export function usePage(): Page {
  return useSyncExternalStore((onChange) => {
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, currentPage);
}
