/**
 * How long a requester gives one holder (PROTOCOL §6.6). Shared by the libp2p client and the
 * simulator's transport, so that both give up on a holder at the same moments.
 */

/** The stall guard: a holder that sends nothing for this long (no header, or no bytes mid-transfer) is dropped. */
export const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 2_000;
/**
 * The slowest delivery a holder is allowed when the size is known: 16 KiB/s (≈ 128 kbit/s). Low on
 * purpose: a holder serving many peers at once shares its upload among them (a curator on a 10 Mbit/s
 * link serving 50 peers gives each 25 KiB/s), and a slow office link is not an attack. A silent
 * holder is caught by the stall guard within 2 s whatever the size.
 */
export const DEFAULT_MIN_BYTES_PER_SECOND = 16 * 1024;
/** setTimeout fires at once for longer delays; a deadline beyond this is treated as none. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** One holder's deadline for a blob of `bytes`: `firstByteTimeoutMs + bytes / minBytesPerSecond`, in ms. */
export function perHolderDeadlineMs(bytes: number, firstByteTimeoutMs: number, minBytesPerSecond: number): number {
  return firstByteTimeoutMs + (bytes * 1000) / minBytesPerSecond;
}

/** What is wrong with `value` as a duration or rate (a finite number above 0), or undefined when it is fine or absent. */
export function notPositive(value: number | undefined, what: string): string | undefined {
  if (value === undefined || (Number.isFinite(value) && value > 0)) return undefined;
  return `${what} must be a finite number above 0, got ${value}`;
}

/** What is wrong with `value` as a byte count (a non-negative safe integer), or undefined when it is fine or absent. */
export function notByteCount(value: number | undefined, what: string): string | undefined {
  if (value === undefined || (Number.isSafeInteger(value) && value >= 0)) return undefined;
  return `${what} must be a non-negative integer, got ${value}`;
}
