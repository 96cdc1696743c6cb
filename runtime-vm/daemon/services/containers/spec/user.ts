// `--user` resolution against the image's /etc/passwd and /etc/group, with Docker's rules:
// names must exist, numbers need not; a missing group defaults to the user's primary group.
import { InvalidArgumentError } from '../../../errors';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name, , uid, gid, , home] = line.split(':');
    const uidNum = Number(uid);
    const gidNum = Number(gid);
    if (!name || !Number.isInteger(uidNum) || !Number.isInteger(gidNum)) continue;
    entries.push({ name, uid: uidNum, gid: gidNum, home: home || '/' });
  }
  return entries;
}

export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name, , gid, members] = line.split(':');
    const gidNum = Number(gid);
    if (!name || !Number.isInteger(gidNum)) continue;
    entries.push({ name, gid: gidNum, members: (members ?? '').split(',').filter(Boolean) });
  }
  return entries;
}

const isNumeric = (value: string) => /^\d+$/.test(value);

/** Resolves `user[:group]` (names or ids) like Docker; files may be absent (empty text). */
export function resolveUser(spec: string, passwdText: string, groupText: string): ResolvedUser {
  const [userPart = '', groupPart] = spec.trim().split(':', 2);
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const wanted = userPart === '' ? '0' : userPart;
  let entry: PasswdEntry | undefined;
  if (isNumeric(wanted)) {
    entry = passwd.find((p) => p.uid === Number(wanted));
  } else {
    entry = passwd.find((p) => p.name === wanted);
    if (!entry) {
      throw new InvalidArgumentError(
        `unable to find user ${wanted}: no matching entries in passwd file`,
      );
    }
  }
  const uid = entry?.uid ?? Number(wanted);
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    if (isNumeric(groupPart)) {
      gid = Number(groupPart);
    } else {
      const group = groups.find((g) => g.name === groupPart);
      if (!group) {
        throw new InvalidArgumentError(
          `unable to find group ${groupPart}: no matching entries in group file`,
        );
      }
      gid = group.gid;
    }
  }
  // Like Docker, the primary group is also a supplementary group, plus /etc/group memberships.
  const memberships =
    entry && groupPart === undefined
      ? groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid)
      : [];
  const additionalGids = [...new Set([gid, ...memberships])];
  if (uid > 0xfffffffe || gid > 0xfffffffe) {
    throw new InvalidArgumentError(`user ${JSON.stringify(spec)} is out of range`);
  }
  return { uid, gid, additionalGids, home: entry?.home ?? '/' };
}
