/**
 * `gossipfl start SIGNED_TASK`: runs one peer on one task until Ctrl-C. Checks everything a
 * user can get wrong before the network starts — config, signature, opt-in, local data — and
 * says what is wrong in one line.
 */
import { copyFile, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readSwarmKey } from '../host/swarm-key.ts';
import { selectBackend } from '../learn/backend.ts';
import { subset, type Dataset } from '../learn/data/dataset.ts';
import { loadTabular } from '../learn/data/gate.ts';
import { mnistSplit } from '../learn/data/mnist.ts';
import { partition } from '../learn/data/partition.ts';
import { startPeer, type Peer } from '../peer/peer.ts';
import type { PeerEvent } from '../peer/runtime.ts';
import type { TaskManifest } from '../task/manifest.ts';
import { taskDataSchema } from '../task/manifest.ts';
import { checkOptIn } from '../task/opt-in.ts';
import { readSignedTask } from '../task/signing.ts';
import { CliError, parseOptions, USAGE_EXIT_CODE, type Command } from './command.ts';
import { DEFAULT_DATA_DIR, IDENTITY_FILE, isOpenToAnyone, readPeerConfig, validatePeerConfig } from './peer-config.ts';
import { readIdentityStrict, SIGNED_TASK_COPY } from './store-read.ts';

const HELP = [
  'Usage: gossipfl start SIGNED_TASK [--dir DIR] (--data FILE | --mnist-shard I/N) [options]',
  '',
  'Runs this peer on a signed task until Ctrl-C (SIGINT or SIGTERM stop it cleanly, exit 0,',
  'within seconds even mid-training; a second Ctrl-C quits at once, as does one while the',
  'local data is still being checked, before anything is written).',
  'Before joining it checks the data folder\'s config.yaml, the task\'s signature, that the',
  'task is in the config\'s opt-in list, and the local data against the task\'s schema.',
  'It prints its addresses (with /p2p/<peer ID>, for other peers\' --bootstrap), then one line',
  'per adopted round: round, curator, contributors, samples, version. Warnings go to stderr.',
  '',
  'Options:',
  `  --dir DIR           the data folder made by gossipfl init (default ${DEFAULT_DATA_DIR})`,
  '  --data FILE         local training data, CSV or JSONL, checked against the task\'s schema',
  '  --mnist-shard I/N   for tasks with data {builtin: mnist}: IID shard I (1..N) of N of the',
  '                      built-in MNIST training digits (the same split on every machine)',
  '  --listen ADDR       listen on this multiaddr instead of config.yaml\'s (repeatable)',
  '  --bootstrap ADDR    also dial this peer at start, /p2p/ id included (repeatable)',
  '  --open              run even though config.yaml has neither an allowList nor a swarmKey,',
  '                      so any process that reaches the port can join (refused without it)',
  '  --verbose           also print informational log lines',
  '  --json              print every event as one JSON object per line',
].join('\n');

function parseShard(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count) {
    throw new CliError(`start: --mnist-shard must be I/N with 1 ≤ I ≤ N, e.g. 1/4, got "${value}"`, USAGE_EXIT_CODE);
  }
  return { index, count };
}

async function localData(task: TaskManifest, file: string | undefined, shard: string | undefined): Promise<Dataset> {
  if ('builtin' in task.data) {
    if (shard === undefined) throw new CliError(`start: task "${task.id}" trains on the built-in ${task.data.builtin} digits: give --mnist-shard I/N`, USAGE_EXIT_CODE);
    if (file !== undefined) throw new CliError(`start: task "${task.id}" uses built-in data; --data does not apply (use --mnist-shard I/N)`, USAGE_EXIT_CODE);
    const { index, count } = parseShard(shard);
    const { train } = await mnistSplit();
    const parts = partition({ kind: 'iid' }, train.labels, train.classCount, count, 'gossipfl/mnist-shard/v1');
    return subset(train, parts[index - 1]!, `mnist shard ${index}/${count}`);
  }
  if (shard !== undefined) throw new CliError(`start: --mnist-shard applies to built-in MNIST tasks only; task "${task.id}" needs --data FILE`, USAGE_EXIT_CODE);
  if (file === undefined) throw new CliError(`start: task "${task.id}" needs local data: give --data FILE (CSV or JSONL with columns ${taskDataSchema(task).labelColumn} and the features)`, USAGE_EXIT_CODE);
  return loadTabular(file, taskDataSchema(task));
}

const short = (id: string | undefined) => (id === undefined ? 'unknown' : `…${id.slice(-8)}`);

function describeEvent(event: PeerEvent): { line: string; stderr: boolean; verbose?: boolean } {
  switch (event.type) {
    case 'adopted': {
      const { head } = event;
      const samples = head.contributors.reduce((sum, c) => sum + c.samples, 0);
      const merged = head.merged.length > 0 ? `  merged ${head.merged.length}` : '';
      return { line: `round ${head.round}  curator ${short(head.curator)}  contributors ${head.contributors.length}  samples ${samples}  version ${head.hash.slice(0, 12)}${merged}`, stderr: false };
    }
    case 'trained':
      return { line: `trained for round ${event.round}: ${event.samples} samples in ${event.seconds.toFixed(1)} s`, stderr: false };
    case 'rejected':
      return { line: `warning: round ${event.round}: rejected the delta of ${event.peer}: ${event.reason}`, stderr: true };
    case 'finished':
      return { line: `finished at round ${event.head.round} (version ${event.head.hash.slice(0, 12)}); still serving it — press Ctrl-C to stop`, stderr: false };
    case 'log':
      return event.level === 'warn' ? { line: `warning: ${event.message}`, stderr: true } : { line: event.message, stderr: false, verbose: true };
    default: {
      const unknown: never = event;
      return { line: JSON.stringify(unknown), stderr: false };
    }
  }
}

/**
 * `stopped` resolves on the first SIGINT or SIGTERM; `dispose` removes the listeners. The
 * listeners go with the first signal, so a second one has its default action and ends the
 * process at once, whatever it is doing. Installed only once the local data has passed the
 * gate: until then a signal also ends the process at once (nothing has been written yet, and
 * the gate's parse of a large file would hold a listener off for seconds).
 */
function watchSignals(): { stopped: Promise<string>; dispose: () => void } {
  let onSignal: (signal: string) => void = () => {};
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const stopped = new Promise<string>((done) => {
    onSignal = (signal: string) => {
      dispose();
      done(signal);
    };
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { stopped, dispose };
}

export const startCommand: Command = {
  name: 'start',
  summary: 'run this peer on a signed task until Ctrl-C',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseOptions(
      'start',
      args,
      {
        dir: { type: 'string' }, data: { type: 'string' }, 'mnist-shard': { type: 'string' }, listen: { type: 'string', multiple: true },
        bootstrap: { type: 'string', multiple: true }, verbose: { type: 'boolean' }, json: { type: 'boolean' }, open: { type: 'boolean' },
      },
      true,
    );
    const [taskPath, ...extra] = positionals;
    if (taskPath === undefined || extra.length > 0) throw new CliError('start: give exactly one SIGNED_TASK file (see gossipfl start --help)', USAGE_EXIT_CODE);
    const dataDir = resolve(values.dir ?? DEFAULT_DATA_DIR);
    const config = await readPeerConfig(dataDir);
    if (isOpenToAnyone(config) && values.open !== true) {
      throw new CliError(
        `start: refused: ${join(dataDir, 'config.yaml')} has neither an allowList nor a swarmKey, so anyone who reaches this peer could join the federation; ` +
          'list the members\' peer IDs under "allowList:" (or set "swarmKey:"), or pass --open to run an open peer on purpose',
        USAGE_EXIT_CODE,
      );
    }
    // Command-line addresses get the same checks as config.yaml's.
    const overrides = validatePeerConfig({ listen: values.listen ?? [...config.listen], bootstrap: values.bootstrap ?? [] }, 'the command line', dataDir);
    const identity = await readIdentityStrict(join(dataDir, IDENTITY_FILE));
    if (config.allowList !== undefined && config.allowList.every((id) => id === identity.peerId.toString())) {
      process.stderr.write(`warning: the allowList in ${join(dataDir, 'config.yaml')} names only this peer, so no other peer can connect; add the members' peer IDs\n`);
    }
    const verified = await readSignedTask(taskPath);
    const decision = checkOptIn(verified, config.tasks);
    if (!decision.accepted) throw new CliError(`start: refused: ${decision.reason}; opt in under "tasks:" in ${join(dataDir, 'config.yaml')}`);
    const task = verified.manifest;
    const data = await localData(task, values.data, values['mnist-shard']);
    const swarmKey = config.swarmKeyPath === undefined ? undefined : await readSwarmKey(config.swarmKeyPath);
    await selectBackend();

    const json = values.json === true;
    const print = (event: PeerEvent) => {
      if (json) {
        process.stdout.write(`${JSON.stringify(event)}\n`);
        return;
      }
      const { line, stderr, verbose } = describeEvent(event);
      if (verbose === true && values.verbose !== true) return;
      (stderr ? process.stderr : process.stdout).write(`${line}\n`);
    };
    const { stopped, dispose } = watchSignals();
    let peer: Peer;
    try {
      peer = await startPeer({
        dataDir,
        task,
        taskHash: verified.taskHash,
        taskPath: resolve(taskPath),
        data,
        host: {
          listen: overrides.listen,
          bootstrap: [...config.bootstrap, ...overrides.bootstrap],
          mdns: config.mdns,
          webrtc: config.webrtc,
          ...(swarmKey === undefined ? {} : { swarmKey }),
          ...(config.allowList === undefined ? {} : { allowList: config.allowList }),
        },
        onEvent: (_peer, event) => print(event),
      });
    } catch (error) {
      dispose();
      throw error;
    }
    const copy = join(peer.store.dir, SIGNED_TASK_COPY);
    await copyFile(taskPath, `${copy}.tmp`).then(() => rename(`${copy}.tmp`, copy)).catch((error: Error) => print({ type: 'log', level: 'warn', message: `could not keep a copy of the task in ${copy}: ${error.message}` }));
    const addresses = peer.host.getMultiaddrs().map((address) => address.toString());
    if (json) {
      process.stdout.write(`${JSON.stringify({ type: 'listening', peerId: peer.id, task: task.id, taskHash: verified.taskHash, samples: data.size, addresses })}\n`);
    } else {
      process.stdout.write(`peer ${identity.peerId.toString()} on task ${task.id} (${verified.taskHash.slice(0, 12)}) with ${data.size} local samples\n`);
      for (const address of addresses) process.stdout.write(`listening on ${address}\n`);
    }
    const signal = await stopped;
    if (!json) process.stdout.write(`${signal}: stopping… (Ctrl-C again to quit at once)\n`);
    await peer.stop();
    if (json) process.stdout.write(`${JSON.stringify({ type: 'stopped', signal })}\n`);
    else process.stdout.write('stopped\n');
    return 0;
  },
};
