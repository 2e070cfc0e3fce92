/**
 * What every `gossipfl` subcommand looks like, and the one error type that turns into a
 * one-line message and a non-zero exit code instead of a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full --help text: usage line, options, examples. */
  readonly help: string;
  run(args: string[]): Promise<number>;
}

/** A problem the user can fix: printed as one line, exit code `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export const USAGE_EXIT_CODE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking, turning its errors into a usage CliError naming the command. */
export function parseOptions<T extends Options>(command: string, args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    throw new CliError(`${command}: ${(error as Error).message} (see gossipfl ${command} --help)`, USAGE_EXIT_CODE);
  }
}

export function parseNumberOption(command: string, flag: string, value: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || !check(parsed)) {
    throw new CliError(`${command}: --${flag} must be ${expected}, got "${value}"`, USAGE_EXIT_CODE);
  }
  return parsed;
}

export function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
