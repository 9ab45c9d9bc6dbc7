import { describe, expect, it } from 'vitest';
import { classifyFilesystem, parseMountInfo } from './filesystem.js';

const mountinfo = [
  '22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '30 22 0:25 / /mnt/share rw,relatime shared:2 - nfs4 server:/export rw,vers=4.2',
  '31 22 0:26 / /mnt/odd\\040dir rw - fuse.sshfs host:/ rw',
  '32 22 0:27 / /mnt/mystery rw - weirdfs none rw',
].join('\n');

describe('classifyFilesystem', () => {
  const mounts = parseMountInfo(mountinfo);

  it('reads mount points, unescaping spaces', () => {
    expect(mounts.map((mount) => mount.mountPoint)).toEqual([
      '/',
      '/mnt/share',
      '/mnt/odd dir',
      '/mnt/mystery',
    ]);
  });

  it('picks the longest matching mount', () => {
    expect(classifyFilesystem('/home/me/.runtime', mounts)).toEqual({
      kind: 'local',
      fsType: 'ext4',
    });
    expect(classifyFilesystem('/mnt/share/repo/.runtime', mounts)).toEqual({
      kind: 'network',
      fsType: 'nfs4',
    });
    expect(classifyFilesystem('/mnt/odd dir/x', mounts)).toEqual({
      kind: 'network',
      fsType: 'fuse.sshfs',
    });
  });

  it('calls an unknown filesystem unknown, not local', () => {
    expect(classifyFilesystem('/mnt/mystery/x', mounts).kind).toBe('unknown');
  });
});
