/**
 * Chooses the TF.js backend once per process: native `tensorflow` (from the optional
 * @tensorflow/tfjs-node package) when it is installed, else `wasm`, else `cpu`.
 * GOSSIPFL_BACKEND (or the `force` option) picks one explicitly; a forced backend that
 * cannot start is an error, never a silent fallback.
 */
import { GossipflError } from '../errors.ts';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  readonly name: BackendName;
  /** Why this backend: "forced by GOSSIPFL_BACKEND", "first available", … */
  readonly reason: string;
  /** Backends tried before it and why each was not used. */
  readonly skipped: readonly string[];
}

export class BackendError extends GossipflError {
  override name = 'BackendError';
}

export function parseBackendName(value: string, source: string): BackendName {
  const found = BACKEND_NAMES.find((name) => name === value);
  if (found === undefined) {
    throw new BackendError(`${source}: unknown backend "${value}"; choose one of ${BACKEND_NAMES.join(', ')}`);
  }
  return found;
}

/** Imports tfjs-node if present; its module registers the `tensorflow` backend as a side effect. */
async function loadNativeBackend(): Promise<void> {
  const moduleName = '@tensorflow/tfjs-node';
  await import(moduleName);
}

async function tryBackend(name: BackendName): Promise<string | undefined> {
  try {
    if (name === 'tensorflow') await loadNativeBackend();
    const ok = await tf.setBackend(name);
    if (!ok) return `${name}: failed to initialise`;
    await tf.ready();
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return `${name}: ${message}`;
  }
}

let selected: Promise<BackendInfo> | undefined;

/**
 * Selects and initialises the backend; later calls return the first call's result, because
 * TF.js state (variables, models) lives in the active backend and must not move under it.
 */
export function selectBackend(options: { force?: BackendName } = {}): Promise<BackendInfo> {
  selected ??= chooseBackend(options.force ?? forcedByEnvironment());
  return selected;
}

function forcedByEnvironment(): BackendName | undefined {
  const value = process.env['GOSSIPFL_BACKEND'];
  if (value === undefined || value === '') return undefined;
  return parseBackendName(value, 'GOSSIPFL_BACKEND');
}

async function chooseBackend(force: BackendName | undefined): Promise<BackendInfo> {
  if (force !== undefined) {
    const failure = await tryBackend(force);
    if (failure !== undefined) throw new BackendError(`the forced backend is unavailable (${failure})`);
    return { name: force, reason: 'forced', skipped: [] };
  }
  const skipped: string[] = [];
  for (const name of BACKEND_NAMES) {
    const failure = await tryBackend(name);
    if (failure === undefined) return { name, reason: 'first available', skipped };
    skipped.push(failure);
  }
  throw new BackendError(`no TF.js backend could start: ${skipped.join('; ')}`);
}

export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.length > 0 ? ` (skipped ${info.skipped.join('; ')})` : '';
  return `TF.js backend: ${info.name}, ${info.reason}${skipped}`;
}
