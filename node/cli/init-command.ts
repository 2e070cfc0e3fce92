/**
 * `gossipfl init [--dir DIR] [--swarm-key]`: creates a peer's data folder with its identity
 * key (mode 0600) and a config.yaml that admits only this peer (an allow-list of its own ID) or,
 * with --swarm-key, only holders of a new swarm key — never an open peer. Never overwrites.
 */
import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generateSwarmKey, swarmKeyFingerprint, writeSwarmKey } from '../host/swarm-key.ts';
import { loadOrCreateIdentity } from '../host/identity.ts';
import { writeNewFileAtomic } from '../host/files.ts';
import { CliError, parseOptions, USAGE_EXIT_CODE, type Command } from './command.ts';
import { CONFIG_FILE, configTemplate, DEFAULT_DATA_DIR, IDENTITY_FILE, SWARM_KEY_FILE } from './peer-config.ts';

const HELP = [
  'Usage: gossipfl init [--dir DIR] [--swarm-key] [--json]',
  '',
  `Creates a peer's data folder (default ./${DEFAULT_DATA_DIR}) holding:`,
  `  ${IDENTITY_FILE}   the peer's Ed25519 private key (mode 0600); its peer ID is printed`,
  `  ${CONFIG_FILE}    listen addresses, bootstrap list, mDNS, WebRTC, swarm key, allow-list`,
  '                 and the opt-in list of tasks (edit it before `gossipfl start`). Its allowList',
  '                 holds this peer\'s ID only: add the other members\' IDs (each prints its own)',
  `  ${SWARM_KEY_FILE}      with --swarm-key: a new private-network key to share with the other peers`,
  'Existing files are never overwritten: init refuses and changes nothing.',
  '',
  'Options:',
  `  --dir DIR      the data folder (default ${DEFAULT_DATA_DIR})`,
  '  --swarm-key    generate swarm.key and point config.yaml at it instead of the allowList',
  '                 (peers holding the key may join; WebRTC needs an allowList as well)',
  '  --json         print {dataDir, peerId, files, allowList | swarmKeyFingerprint} as JSON',
].join('\n');

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export const initCommand: Command = {
  name: 'init',
  summary: 'create a data folder: identity key, config.yaml, optional swarm key',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseOptions('init', args, { dir: { type: 'string' }, 'swarm-key': { type: 'boolean' }, json: { type: 'boolean' } }, true);
    if (positionals.length > 0) throw new CliError(`init: unexpected argument "${positionals[0]}" (see gossipfl init --help)`, USAGE_EXIT_CODE);
    const dataDir = resolve(values.dir ?? DEFAULT_DATA_DIR);
    const files = [IDENTITY_FILE, CONFIG_FILE, ...(values['swarm-key'] === true ? [SWARM_KEY_FILE] : [])].map((name) => join(dataDir, name));
    const present: string[] = [];
    for (const file of files) if (await exists(file)) present.push(file);
    if (present.length > 0) {
      throw new CliError(`init: ${present.join(', ')} already exist${present.length === 1 ? 's' : ''}; nothing was changed (remove ${present.length === 1 ? 'it' : 'them'} first, or choose another --dir)`);
    }
    try {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new CliError(`init: cannot create ${dataDir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    const identity = await loadOrCreateIdentity(join(dataDir, IDENTITY_FILE));
    const peerId = identity.peerId.toString();
    let fingerprint: string | undefined;
    if (values['swarm-key'] === true) {
      const key = generateSwarmKey();
      await writeSwarmKey(join(dataDir, SWARM_KEY_FILE), key);
      fingerprint = swarmKeyFingerprint(key);
    }
    const template = configTemplate({ swarmKey: values['swarm-key'] === true, peerId });
    if (!(await writeNewFileAtomic(join(dataDir, CONFIG_FILE), Buffer.from(template, 'utf8'), 0o644))) {
      throw new CliError(`init: ${join(dataDir, CONFIG_FILE)} appeared while init ran; it was left as it is`);
    }
    if (values.json === true) {
      const admission = fingerprint === undefined ? { allowList: [peerId] } : { swarmKeyFingerprint: fingerprint };
      process.stdout.write(`${JSON.stringify({ dataDir, peerId, files, ...admission }, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `created ${dataDir}`,
      `peer ID  ${peerId}`,
      `identity ${join(dataDir, IDENTITY_FILE)} (mode 0600)`,
      `config   ${join(dataDir, CONFIG_FILE)} — add the tasks to opt into under "tasks:"`,
      ...(fingerprint === undefined
        ? [
            `allowList [${peerId}] — only the peers listed there may connect: add every other member's`,
            '         peer ID (the "peer ID" line `gossipfl init` printed on that member), and give them yours',
          ]
        : [`swarm key ${join(dataDir, SWARM_KEY_FILE)} (fingerprint ${fingerprint}); copy it to every peer of the federation`]),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
