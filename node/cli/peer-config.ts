/**
 * The peer's `config.yaml` in its data folder: network settings and the opt-in list of tasks.
 * Every problem is reported at once, with its field path; unknown keys are refused (with a
 * suggestion when one is close), so a typo never silently changes what a peer does.
 *
 *   listen: [/ip4/0.0.0.0/tcp/0]        # multiaddrs to listen on
 *   bootstrap: []                       # multiaddrs with /p2p/<peer ID>, dialled at start
 *   mdns: false                         # find peers on the LAN
 *   webrtc: false                       # also listen on WebRTC Direct (needs allowList with swarmKey)
 *   swarmKey: swarm.key                 # private network key file (relative to the data folder)
 *   allowList: [12D3Koo…]               # only these peers may connect (init writes this peer's own ID)
 *                                       # with neither, `gossipfl start` refuses unless given --open
 *   tasks:                              # opt-in list: a peer trains only on these tasks
 *     - id: mnist-2nn
 *       signers: [12D3Koo…]             # accept this task id signed by one of these peers
 *       taskHash: <64 hex digits>       # and/or exactly this manifest
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { peerIdFromString } from '@libp2p/peer-id';
import { CODE_P2P, multiaddr } from '@multiformats/multiaddr';
import { GossipflError } from '../errors.ts';
import type { OptIn } from '../task/opt-in.ts';
import { TASK_ID_PATTERN } from '../task/manifest.ts';
import { checkKnownKeys, describe, isMapping, parseText, Problems, type Mapping } from '../task/fields.ts';

export const CONFIG_FILE = 'config.yaml';
export const IDENTITY_FILE = 'identity.key';
export const SWARM_KEY_FILE = 'swarm.key';
export const DEFAULT_DATA_DIR = '.gossipfl';

export interface PeerConfig {
  readonly listen: readonly string[];
  readonly bootstrap: readonly string[];
  readonly mdns: boolean;
  readonly webrtc: boolean;
  /** Absolute path of the swarm key file, when the network is private. */
  readonly swarmKeyPath: string | undefined;
  readonly allowList: readonly string[] | undefined;
  readonly tasks: readonly OptIn[];
}

export class PeerConfigError extends GossipflError {
  override name = 'PeerConfigError';
}

const TOP_KEYS = ['listen', 'bootstrap', 'mdns', 'webrtc', 'swarmKey', 'allowList', 'tasks'] as const;
const TASK_KEYS = ['id', 'signers', 'taskHash'] as const;

/** The template `gossipfl init` writes. */
export function configTemplate(options: { swarmKey: boolean; peerId: string }): string {
  return [
    '# gossipfl peer configuration (see `gossipfl init --help`). Unknown keys are refused.',
    '# Addresses this peer listens on (multiaddrs). Port 0 picks a free port.',
    'listen:',
    '  - /ip4/0.0.0.0/tcp/0',
    '# Peers to dial at start: multiaddrs with their /p2p/<peer ID>, as `gossipfl start` prints them.',
    'bootstrap: []',
    '# Find peers on the local network with mDNS.',
    'mdns: false',
    '# Also listen on WebRTC Direct (UDP). A swarm key does not cover WebRTC: add an allowList then.',
    'webrtc: false',
    '# Who may connect. `gossipfl start` refuses to run a peer anyone can join: keep an',
    '# allowList, a swarmKey, or both (or pass `gossipfl start --open` on purpose).',
    '# Private network key shared by every peer of the federation (path relative to this folder).',
    options.swarmKey ? `swarmKey: ${SWARM_KEY_FILE}` : `# swarmKey: ${SWARM_KEY_FILE}`,
    '# Only these peer IDs may connect; this peer is always admitted. Add each member\'s ID,',
    '# as `gossipfl init` printed it on that member ("peer ID  12D3Koo…"), e.g.',
    `#   allowList: [${options.peerId}, 12D3KooW…the other member…]`,
    options.swarmKey ? `# allowList: [${options.peerId}]` : `allowList: [${options.peerId}]`,
    '# The tasks this peer trains on. Each names a task id and the signers trusted for it',
    '# and/or the one task hash accepted (`gossipfl task verify` prints both).',
    'tasks: []',
    '#  - id: mnist-2nn',
    `#    signers: [${options.peerId}]`,
    '#    taskHash: 0123…(64 hex digits)',
    '',
  ].join('\n');
}

function stringList(root: Mapping, key: string, problems: Problems, check: (item: string, path: string) => void): string[] | undefined {
  const value = root[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    problems.add(key, `must be a list, got ${describe(value)}`);
    return undefined;
  }
  const items: string[] = [];
  value.forEach((item: unknown, index) => {
    const path = `${key}[${index}]`;
    if (typeof item !== 'string' || item.trim() === '') problems.add(path, `must be a non-empty string, got ${describe(item)}`);
    else {
      items.push(item.trim());
      check(item.trim(), path);
    }
  });
  return items;
}

function checkAddress(needsPeerId: boolean, problems: Problems) {
  return (address: string, path: string) => {
    try {
      const components = multiaddr(address).getComponents();
      if (needsPeerId && !components.some((c) => c.code === CODE_P2P)) problems.add(path, `"${address}" has no /p2p/<peer ID> part; add the peer's ID`);
    } catch (error) {
      problems.add(path, `"${address}" is not a multiaddr (${(error as Error).message}); e.g. /ip4/0.0.0.0/tcp/4001`);
    }
  };
}

function checkPeerId(problems: Problems) {
  return (id: string, path: string) => {
    try {
      peerIdFromString(id);
    } catch {
      problems.add(path, `"${id}" is not a peer ID; use the "12D3Koo…" IDs peers print (gossipfl init, gossipfl start)`);
    }
  };
}

function booleanField(root: Mapping, key: string, problems: Problems): boolean {
  const value = root[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') problems.add(key, `must be true or false, got ${describe(value)}`);
  return value === true;
}

function readTasks(root: Mapping, problems: Problems): OptIn[] {
  const value = root['tasks'];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add('tasks', `must be a list of {id, signers, taskHash}, got ${describe(value)}`);
    return [];
  }
  const optIns: OptIn[] = [];
  value.forEach((entry: unknown, index) => {
    const path = `tasks[${index}]`;
    if (!isMapping(entry)) return problems.add(path, `must be a mapping {id, signers, taskHash}, got ${describe(entry)}`);
    checkKnownKeys(entry, TASK_KEYS, path, problems);
    const id = entry['id'];
    if (typeof id !== 'string' || !TASK_ID_PATTERN.test(id)) problems.add(`${path}.id`, `must be a task id (3–64 of a-z, 0-9, "-"), got ${describe(id)}`);
    const signers = stringList(entry, 'signers', new PrefixedProblems(problems, path), checkPeerId(new PrefixedProblems(problems, path)));
    const hash = entry['taskHash'];
    if (hash !== undefined && hash !== null && (typeof hash !== 'string' || !/^[0-9a-f]{64}$/i.test(hash))) {
      problems.add(`${path}.taskHash`, `must be 64 hex digits, got ${describe(hash)}`);
    }
    const taskHash = typeof hash === 'string' ? hash.toLowerCase() : undefined;
    if (signers === undefined && taskHash === undefined) problems.add(path, 'names neither signers nor a taskHash, so it would accept nothing; add one');
    if (typeof id === 'string') optIns.push({ taskId: id, ...(signers === undefined ? {} : { signers }), ...(taskHash === undefined ? {} : { taskHash }) });
    return undefined;
  });
  return optIns;
}

/** Problems whose paths are nested under `prefix`. */
class PrefixedProblems extends Problems {
  readonly #parent: Problems;
  readonly #prefix: string;
  constructor(parent: Problems, prefix: string) {
    super();
    this.#parent = parent;
    this.#prefix = prefix;
  }
  override add(path: string, message: string): void {
    this.#parent.add(path === '' ? this.#prefix : `${this.#prefix}.${path}`, message);
  }
}

/** Validates parsed config data; `dataDir` resolves a relative swarmKey path. */
export function validatePeerConfig(value: unknown, source: string, dataDir: string): PeerConfig {
  if (!isMapping(value)) throw new PeerConfigError(`${source}: the configuration must be a mapping of ${TOP_KEYS.join(', ')}, got ${describe(value)}`);
  const problems = new Problems();
  checkKnownKeys(value, TOP_KEYS, '', problems);
  const listen = stringList(value, 'listen', problems, checkAddress(false, problems));
  const bootstrap = stringList(value, 'bootstrap', problems, checkAddress(true, problems)) ?? [];
  const allowList = stringList(value, 'allowList', problems, checkPeerId(problems));
  const mdns = booleanField(value, 'mdns', problems);
  const webrtc = booleanField(value, 'webrtc', problems);
  const swarmKey = value['swarmKey'];
  if (swarmKey !== undefined && swarmKey !== null && (typeof swarmKey !== 'string' || swarmKey === '')) problems.add('swarmKey', `must be a file path, got ${describe(swarmKey)}`);
  const tasks = readTasks(value, problems);
  if (problems.list.length > 0) {
    const count = problems.list.length === 1 ? '1 problem' : `${problems.list.length} problems`;
    throw new PeerConfigError(`${source} has ${count}: ${problems.list.join('; ')}`);
  }
  return {
    listen: listen ?? ['/ip4/0.0.0.0/tcp/0'],
    bootstrap,
    mdns,
    webrtc,
    swarmKeyPath: typeof swarmKey === 'string' ? (isAbsolute(swarmKey) ? swarmKey : resolve(dataDir, swarmKey)) : undefined,
    allowList,
    tasks,
  };
}

/**
 * Whether a peer with this config would admit anyone who reaches its port: no allow-list and
 * no swarm key. `gossipfl start` refuses such a peer unless given --open.
 */
export function isOpenToAnyone(config: Pick<PeerConfig, 'allowList' | 'swarmKeyPath'>): boolean {
  return config.allowList === undefined && config.swarmKeyPath === undefined;
}

/** Reads `<dataDir>/config.yaml`; a missing folder or file says to run `gossipfl init`. */
export async function readPeerConfig(dataDir: string): Promise<PeerConfig> {
  const path = join(dataDir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PeerConfigError(`${path} does not exist; create the data folder with \`gossipfl init --dir ${dataDir}\``);
    throw new PeerConfigError(`cannot read ${path} (${code ?? (error as Error).message})`);
  }
  const parsed = parseText(text, 'configuration');
  if ('problems' in parsed) throw new PeerConfigError(`${path}: ${parsed.problems.join('; ')}`);
  return validatePeerConfig(parsed.value, path, dataDir);
}
