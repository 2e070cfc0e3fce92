/**
 * The base of every error whose message is written for the user (bad input, missing file,
 * unavailable backend…). The CLI prints these as one line; anything else is a bug and is
 * printed with its stack.
 */
export class GossipflError extends Error {
  override name = 'GossipflError';
}
