// What each command of the shared registry does in the renderer.
import type { CommandId } from '../../../shared/commands';
import { useBerth } from '../../stores/store';
import { navigate } from './routes';

export const pullRequestEvent = 'berth:pull-request';

export function runCommand(id: CommandId): void {
  const store = useBerth.getState();
  switch (id) {
    case 'go.containers':
      return navigate('containers');
    case 'go.images':
      return navigate('images');
    case 'go.volumes':
      return navigate('volumes');
    case 'go.networks':
      return navigate('networks');
    case 'go.settings':
      return navigate('settings');
    case 'container.run':
      return store.openRunDialog();
    case 'image.pull':
      navigate('images');
      window.dispatchEvent(new Event(pullRequestEvent));
      return;
    case 'view.refresh':
      void store.refreshAll();
      return;
    case 'view.palette':
      return store.setPaletteOpen(true);
    case 'theme.light':
    case 'theme.dark':
    case 'theme.system':
      void store.updateSettings({
        theme: id.slice('theme.'.length) as 'light' | 'dark' | 'system',
      });
      return;
  }
}
