/**
 * Why the caller aborted a run through `SuperviseOptions.signal`, when it is
 * not a plain interrupt: a service the run depends on outside the watchdog
 * (the coordination database of `--target`, a license server) has failed, so
 * the run ends `SERVICE_FAILED` (exit 1), not `INTERRUPTED`, and its journal
 * names the service. Pass it as the abort reason:
 * `controller.abort(serviceFailure('coordination database db:5432/fleet', 'unreachable for 200 s'))`.
 */
export interface ServiceFailureReason {
  /** Always `SERVICE_FAILED`. */
  reason: 'SERVICE_FAILED';
  /** The service, for people and the journal (no secrets: the URL without its password). */
  service: string;
  /** What happened, one line. */
  message: string;
}

/**
 * Builds a {@link ServiceFailureReason}, the abort reason that ends a run `SERVICE_FAILED`.
 *
 * @param service - which service failed (no secrets).
 * @param message - what happened.
 * @returns the reason to pass to `AbortController.abort`.
 */
export function serviceFailure(service: string, message: string): ServiceFailureReason {
  return { reason: 'SERVICE_FAILED', service, message };
}

/**
 * True when an abort reason is a {@link ServiceFailureReason}.
 *
 * @param value - `signal.reason`.
 * @returns whether the run must end `SERVICE_FAILED`.
 */
export function isServiceFailure(value: unknown): value is ServiceFailureReason {
  const candidate = value as Partial<ServiceFailureReason> | null | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.reason === 'SERVICE_FAILED' &&
    typeof candidate.service === 'string' &&
    typeof candidate.message === 'string'
  );
}
