/**
 * The base of every error whose message is written for the user (bad input, missing file,
 * unavailable backend…). The CLI prints these as one line; anything else is a bug and is
 * printed with its stack.
 */
export class GossipflError extends Error {
  override name = 'GossipflError';
}

/** The `code` of a Node.js system error (ENOENT, EACCES…), if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
