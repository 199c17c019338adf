/**
 * Milliseconds on a monotonic clock, for deadlines and ages: a wall clock stepped back or forward
 * (NTP, a resumed VM) must not hold a batch for the size of the step or forget an id early.
 */
export const monotonicNow = (): number => performance.now();
