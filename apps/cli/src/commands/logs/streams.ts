/** The streams `runwarden logs --stream` names: one of the logs, or `all`. */
export const LOG_STREAMS = ['stdout', 'stderr', 'all'] as const;

/** One of {@link LOG_STREAMS}. */
export type LogStream = (typeof LOG_STREAMS)[number];
