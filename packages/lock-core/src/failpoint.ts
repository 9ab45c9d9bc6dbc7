/**
 * The crash windows of the lock, named so tests can kill a real process in
 * exactly one of them (like etcd's and TiKV's failpoints).
 */
export type FailpointName =
  | 'after-temp-open'
  | 'before-link'
  | 'after-link'
  | 'before-fence-write'
  | 'before-heartbeat-write'
  | 'after-claim';

const active = process.env.RUNWARDEN_LOCK_FAILPOINT;

/**
 * SIGKILLs this process when `RUNWARDEN_LOCK_FAILPOINT` names `name` (read once
 * at start): tests use it to leave the exact state a crash leaves. Unset, it
 * does nothing.
 *
 * @param name - the crash window reached.
 */
export function failpoint(name: FailpointName): void {
  if (active === name) process.kill(process.pid, 'SIGKILL');
}
