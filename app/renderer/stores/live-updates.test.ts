import { describe, expect, it } from 'vitest';
import { resourcesAffectedBy } from './live-updates';

const event = (
  type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'engine',
  action: string,
) => ({ type, action, id: 'x', attributes: {}, time: 0 });

describe('which lists an engine event refreshes', () => {
  it('maps each event type to the lists it can change', () => {
    expect(resourcesAffectedBy(event('image', 'pull'))).toEqual(['images']);
    expect(resourcesAffectedBy(event('volume', 'create'))).toEqual(['volumes']);
    expect(resourcesAffectedBy(event('network', 'connect'))).toEqual(['networks', 'containers']);
    expect(resourcesAffectedBy(event('container', 'die'))).toEqual([
      'containers',
      'images',
      'volumes',
      'networks',
    ]);
    expect(resourcesAffectedBy(event('engine', 'switched'))).toHaveLength(4);
  });

  it('ignores exec chatter', () => {
    expect(resourcesAffectedBy(event('container', 'exec_start: sh'))).toEqual([]);
  });
});
