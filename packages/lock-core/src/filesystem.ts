import { readFileSync } from 'node:fs';

/** Filesystem types that only one machine can mount. Anything else counts as shared (fail closed). */
const LOCAL_FILESYSTEMS = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'tmpfs',
  'ramfs',
  'overlay',
  'zfs',
  'f2fs',
  'vfat',
  'exfat',
  'ntfs3',
  'ntfs',
  'msdos',
  'squashfs',
  'bcachefs',
  'reiserfs',
  'jfs',
  'nilfs2',
  'hfsplus',
  'apfs',
  'devtmpfs',
  'iso9660',
  'udf',
  'erofs',
]);

/** Filesystem types known to be shared between machines. */
const NETWORK_FILESYSTEMS = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  '9p',
  'fuse.sshfs',
  'ceph',
  'fuse.ceph',
  'glusterfs',
  'fuse.glusterfs',
  'lustre',
  'afs',
  'ocfs2',
  'gfs2',
  'fuse.s3fs',
  'fuse.rclone',
  'virtiofs',
]);

/** One mount, from `/proc/self/mountinfo` (proc(5)). */
export interface MountEntry {
  mountPoint: string;
  fsType: string;
}

function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/** Parses `/proc/self/mountinfo` text: mount point is field 5, the type follows the ` - ` separator. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const left = line.slice(0, separator).split(' ');
    const right = line.slice(separator + 3).split(' ');
    if (left.length < 5 || right.length < 1) continue;
    entries.push({ mountPoint: unescapeMount(left[4]!), fsType: right[0]! });
  }
  return entries;
}

/**
 * Classifies the filesystem that holds `path` (an absolute, resolved path):
 * `local` only for types one machine alone mounts; `network` for nfs, cifs,
 * 9p, fuse.sshfs and the like; `unknown` otherwise (callers treat it as shared).
 */
export function classifyFilesystem(
  path: string,
  mounts: MountEntry[],
): { kind: 'local' | 'network' | 'unknown'; fsType: string } {
  let best: MountEntry | undefined;
  for (const mount of mounts) {
    const prefix = mount.mountPoint.endsWith('/') ? mount.mountPoint : `${mount.mountPoint}/`;
    if (path === mount.mountPoint || path.startsWith(prefix) || mount.mountPoint === '/') {
      if (!best || mount.mountPoint.length >= best.mountPoint.length) best = mount;
    }
  }
  if (!best) return { kind: 'unknown', fsType: 'unknown' };
  if (LOCAL_FILESYSTEMS.has(best.fsType)) return { kind: 'local', fsType: best.fsType };
  if (NETWORK_FILESYSTEMS.has(best.fsType) || best.fsType.startsWith('fuse.'))
    return { kind: 'network', fsType: best.fsType };
  return { kind: 'unknown', fsType: best.fsType };
}

/** Reads `/proc/self/mountinfo` and classifies `path`; `unknown` off Linux. */
export function filesystemOf(path: string): {
  kind: 'local' | 'network' | 'unknown';
  fsType: string;
} {
  try {
    return classifyFilesystem(path, parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')));
  } catch {
    return { kind: 'unknown', fsType: 'unknown' };
  }
}
