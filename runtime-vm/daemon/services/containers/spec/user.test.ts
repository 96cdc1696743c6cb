import { describe, expect, it } from 'vitest';
import { resolveUser } from './user';

const passwd = 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n# comment\n';
const group = 'root:x:0:\nwheel:x:10:root,www\nstaff:x:50:www\n';

describe('resolveUser', () => {
  it('empty means root with its supplementary groups', () => {
    expect(resolveUser('', passwd, group)).toEqual({
      uid: 0,
      gid: 0,
      additionalGids: [0, 10],
      home: '/root',
    });
  });

  it('names resolve through passwd and group', () => {
    expect(resolveUser('www', passwd, group)).toEqual({
      uid: 33,
      gid: 33,
      additionalGids: [33, 10, 50],
      home: '/var/www',
    });
    expect(resolveUser('www:staff', passwd, group)).toEqual({
      uid: 33,
      gid: 50,
      additionalGids: [50],
      home: '/var/www',
    });
  });

  it('unknown numeric ids are fine, unknown names are not', () => {
    expect(resolveUser('1234:5678', passwd, group)).toEqual({
      uid: 1234,
      gid: 5678,
      additionalGids: [5678],
      home: '/',
    });
    expect(resolveUser('1234', '', '')).toMatchObject({ uid: 1234, gid: 0 });
    expect(() => resolveUser('nobody', passwd, group)).toThrow(
      'unable to find user nobody: no matching entries in passwd file',
    );
    expect(() => resolveUser('www:nogroup', passwd, group)).toThrow('unable to find group nogroup');
  });
});
