import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GossipflError } from '../../node/errors.ts';
import { ScenarioError, latencyModel, parseScenario, readScenario } from '../../sim/scenario.ts';

const GOOD = `
name: fedavg-iid-vs-noniid
peers: 100
data: { builtin: mnist }
partition: { kind: dirichlet, alpha: 0.5 }
task:
  model: { preset: mlp }
  stopping: { rounds: 20 }
algorithms: [curator, gossip, fedavg]
`;

function problemsOf(text: string, source = '/scenarios/test.yaml'): readonly string[] {
  try {
    parseScenario(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error).toBeInstanceOf(GossipflError);
    return (error as ScenarioError).problems;
  }
  throw new Error('expected a ScenarioError');
}

/** GOOD with top-level lines added (later keys must not repeat GOOD's). */
const withLines = (...lines: string[]): string => `${GOOD}${lines.join('\n')}\n`;

describe('parseScenario', () => {
  it('parses a good scenario and fills every default', () => {
    const s = parseScenario(GOOD, '/scenarios/good.yaml');
    expect(s.name).toBe('fedavg-iid-vs-noniid');
    expect(s.seed).toBe(1);
    expect(s.peers).toBe(100);
    expect(s.data).toEqual({ builtin: 'mnist' });
    expect(s.partition).toEqual({ kind: 'dirichlet', alpha: 0.5, minPerClient: 1 });
    expect(s.topology).toEqual({ kind: 'complete' });
    expect(s.network).toEqual({ latency: { kind: 'constant', ms: 0 }, dropProbability: 0, uploadBps: null, downloadBps: null, partitions: [] });
    expect(s.churn).toEqual({ kind: 'always-on' });
    expect(s.algorithms.map((v) => [v.label, v.algorithm])).toEqual([['curator', 'curator'], ['gossip', 'gossip'], ['fedavg', 'fedavg']]);
    for (const v of s.algorithms) expect({ ...v, label: undefined, algorithm: undefined }).toEqual({ label: undefined, algorithm: undefined, partition: s.partition, topology: s.topology, network: s.network, churn: s.churn, task: s.task, attackers: [] });
    expect(s.evaluation).toEqual({ testSamples: 2000, everyRounds: 1 });
    expect(s.protocolOnly).toBe(false);
    expect(s.deltaBytes).toBeNull();
    expect(s.task.id).toBe('fedavg-iid-vs-noniid');
    expect(s.task.version).toBe(1);
    expect(s.task.data).toEqual({ builtin: 'mnist' });
    expect(s.task.model).toEqual({ preset: 'mlp', seed: 0 });
    expect(s.task.stopping).toEqual({ rounds: 20 });
    expect(s.task.training).toEqual({ epochs: 1, batchSize: 32, optimizer: 'adam', learningRate: 0.003 });
    expect(s.task.cohort).toEqual({ fraction: 1, minPeers: 2 });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s); // plain data
  });

  it('parses every section in full, resolving paths against the scenario folder', () => {
    const s = parseScenario(
      `
name: full
seed: 7
peers: 6
data: { csv: data/train.csv, labelColumn: y, classes: [a, b], featureColumns: [x1, x2] }
partition: { kind: shards, shardsPerClient: 3 }
task: { version: 1, id: other-id, model: { preset: logreg }, stopping: { rounds: 3 }, cohort: { minPeers: 3 } }
topology: { kind: ring, k: 2 }
network:
  latency: { kind: regions, regionOf: [eu, eu, eu, us, us, us], matrix: { eu: { eu: 5, us: 80 }, us: { us: 5 } }, jitter: 0.1 }
  dropProbability: 0.01
  uploadBps: 1000000
  partitions: [{ at: 60000, groups: [[0, 1, 2], [3, 4, 5]] }, { heal: 120000 }]
churn: { kind: sessions, online: 0.8, meanSessionMs: 600000 }
algorithms: [gossip]
evaluation: { testSamples: 100, everyRounds: 2 }
`,
      '/experiments/full.yaml',
    );
    expect(s.data).toEqual({ csv: '/experiments/data/train.csv', schema: { featureCount: 2, classes: ['a', 'b'], labelColumn: 'y', featureColumns: ['x1', 'x2'], minSamples: 1 } });
    expect(s.task.id).toBe('other-id');
    expect(s.task.data).toEqual('schema' in s.data ? s.data.schema : undefined);
    expect(s.partition).toEqual({ kind: 'shards', shardsPerClient: 3 });
    expect(s.topology).toEqual({ kind: 'ring', k: 2 });
    expect(s.network.uploadBps).toBe(1_000_000);
    expect(s.network.downloadBps).toBeNull();
    expect(s.network.partitions).toEqual([
      { kind: 'partition', at: 60000, groups: [[0, 1, 2], [3, 4, 5]] },
      { kind: 'heal', at: 120000 },
    ]);
    expect(s.churn).toEqual({ kind: 'sessions', online: 0.8, meanSessionMs: 600000, sigma: 1 });
    const model = latencyModel(s.network.latency, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    expect(model).toMatchObject({ kind: 'regions', regionOf: { p0: 'eu', p5: 'us' }, jitter: 0.1 });
  });

  it('accepts bare-string shorthands and protocol-only runs', () => {
    const s = parseScenario(
      `
name: proto
peers: 10
partition: iid
task: { model: { preset: mlp }, stopping: { rounds: 2 } }
topology: ring
churn: { kind: crash, fraction: 0.2 }
algorithms: [curator]
protocolOnly: true
deltaBytes: 800000
`,
      'inline',
    );
    expect(s.partition).toEqual({ kind: 'iid' });
    expect(s.topology).toEqual({ kind: 'ring', k: 1 });
    expect(s.churn).toEqual({ kind: 'crash', fraction: 0.2, at: null });
    expect(s.data).toEqual({ builtin: 'mnist' });
    expect(s.deltaBytes).toBe(800000);
  });

  it('reports every problem with its field path', () => {
    const problems = problemsOf(`
name: Bad Name
seed: -1
peers: 1.5
data: { builtin: cifar }
partition: { kind: dirichlet }
task: { model: { preset: resnet }, stopping: {}, training: { epochs: 0 } }
topology: { kind: ring, k: 0 }
network: { latency: { kind: uniform, min: 10, max: 5 }, dropProbability: 2, uploadBps: -1 }
churn: { kind: sessions, online: 1.5 }
algorithms: [curator, curator, fedavgg]
evaluation: { testSamples: 0 }
`);
    const expected = [
      'name: must be 3–64',
      'seed: must be a whole number ≥ 0',
      'peers: must be a whole number ≥ 2',
      'data.builtin: must be one of mnist',
      'partition.alpha: is required',
      'task.model.preset: must be one of',
      'task.stopping: give',
      'task.training.epochs',
      'topology.k: must be a whole number ≥ 1',
      'network.latency.max: must be ≥ min (10)',
      'network.dropProbability: must be a probability',
      'network.uploadBps: must be a positive number',
      'churn.online: must be a fraction in (0, 1]',
      'churn.meanSessionMs: is required',
      'algorithms[1]: lists curator a second time',
      'algorithms[2]: must be one of curator, gossip, fedavg, got "fedavgg" (did you mean "fedavg"?)',
      'evaluation.testSamples: must be a whole number ≥ 1',
    ];
    for (const start of expected) expect(problems.some((p) => p.startsWith(start)), `${start}\n${problems.join('\n')}`).toBe(true);
    expect(problems.length).toBeGreaterThanOrEqual(expected.length);
  });

  it('rejects unknown fields with suggestions, at every level', () => {
    const problems = problemsOf(`
name: typo-test
peers: 4
data: { builtin: mnist }
partiton: { kind: iid }
task: { model: { preset: mlp }, stopping: { rounds: 1 }, trainig: {} }
network: { latncy: { kind: constant, ms: 1 } }
churn: { kind: always-onn }
algorithms: [curator]
evaluation: { everyRound: 2 }
`);
    expect(problems).toContain('unknown field "partiton" (did you mean "partition"?)');
    expect(problems).toContain('task: unknown field "trainig" (did you mean "training"?)');
    expect(problems).toContain('network: unknown field "latncy" (did you mean "latency"?)');
    expect(problems).toContain('evaluation: unknown field "everyRound" (did you mean "everyRounds"?)');
    expect(problems.some((p) => p.startsWith('churn.kind:') && p.includes('did you mean "always-on"?'))).toBe(true);
    expect(problemsOf(withLines('colour: red')).some((p) => p.startsWith('unknown field "colour" (known fields: name, seed'))).toBe(true);
  });

  it('reports YAML syntax errors with line numbers', () => {
    const problems = problemsOf('name: x\npeers: [1, 2\ntask: {}\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^line \d+, column \d+: syntax error/);
    expect(problemsOf('name: a\nname: b\n')[0]).toMatch(/^line 2, column 1: syntax error/);
  });

  it('rejects a scenario that is not a mapping', () => {
    expect(problemsOf('- a\n- b\n')).toEqual(['a scenario must be a mapping of fields, got a list']);
  });

  describe('cross-field checks', () => {
    it('partition group indices must be peers, each in one group, events in time order', () => {
      const problems = problemsOf(
        withLines('network:', '  partitions: [{ at: 5000, groups: [[0, 1], [1, 100]] }, { heal: 1000 }, { heal: 2000 }]'),
      );
      expect(problems).toContain('network.partitions[0].groups[1][0]: peer 1 is already in group 0');
      expect(problems).toContain('network.partitions[0].groups[1][1]: is peer 100, but peers are numbered 0..99');
      expect(problems).toContain('network.partitions[1]: happens at 1000 ms, before the previous event (5000 ms); list events in time order');
      expect(problems).toContain('network.partitions[2]: heals, but no partition is in effect at that point');
    });

    it('protocolOnly requires deltaBytes, and deltaBytes requires protocolOnly', () => {
      expect(problemsOf(withLines('protocolOnly: true'))).toContain('deltaBytes: is required when protocolOnly is true (the size of each synthetic delta in bytes)');
      expect(problemsOf(withLines('deltaBytes: 1000'))).toEqual(['deltaBytes: applies to protocol-only runs only; remove it or set protocolOnly: true']);
      // The base scenario compares fedavg too, which cannot run protocol-only.
      const noFedavg = 'algorithms[2]: the fedavg baseline trains a real model: it cannot run protocol-only';
      expect(problemsOf(withLines('protocolOnly: true'))).toContain(noFedavg);
      expect(problemsOf(withLines('protocolOnly: true', 'deltaBytes: 100000000'))).toEqual([
        noFedavg,
        'deltaBytes: is 100000000, more than task.timing.maxBlobBytes (67108864)',
      ]);
      expect(problemsOf(withLines('protocolOnly: true', 'deltaBytes: 1000', 'evaluation: { everyRounds: 2 }'))).toEqual([
        'evaluation: protocol-only runs do not train or evaluate; remove it',
        noFedavg,
      ]);
      expect(problemsOf(withLines('protocolOnly: yes please'))).toEqual(['protocolOnly: must be true or false, got "yes please"']);
    });

    it('fedavg alone takes no topology', () => {
      const text = GOOD.replace('[curator, gossip, fedavg]', '[fedavg]');
      expect(parseScenario(text, 'x').topology).toEqual({ kind: 'complete' });
      expect(problemsOf(`${text}topology: { kind: ring }\n`)).toEqual([
        'topology: fedavg uses a central server, not an overlay; remove the topology or add curator or gossip to algorithms',
      ]);
    });

    it('fedavg lines inherit churn and message loss (the baseline models both) but not partitions', () => {
      const text = `${GOOD}churn: { kind: sessions, online: 0.9, meanSessionMs: 60000 }\nnetwork: { dropProbability: 0.1 }\n`;
      const fedavg = parseScenario(text, 'x').algorithms.find((v) => v.algorithm === 'fedavg')!;
      expect(fedavg.churn).toEqual({ kind: 'sessions', online: 0.9, meanSessionMs: 60000, sigma: 1 });
      expect(fedavg.network.dropProbability).toBe(0.1);
      expect(problemsOf(`${GOOD}network: { partitions: [{ at: 5, groups: [[0, 1]] }] }\n`)).toEqual([
        'network.partitions: the fedavg baseline\'s server reaches every client: it models no network partitions (line "fedavg"); give the other lines their own network instead',
      ]);
    });

    it('shards (and other partitions) need enough rows', () => {
      const text = GOOD.replace('peers: 100', 'peers: 5000').replace('{ kind: dirichlet, alpha: 0.5 }', '{ kind: shards }');
      expect(problemsOf(text)).toEqual(['partition: needs 10000 training rows (2 shards (of at least one row) for each of 5000 peers), but mnist has about 8000']);
      expect(parseScenario(text.replace('peers: 5000', 'peers: 4000'), 'x').partition).toEqual({ kind: 'shards', shardsPerClient: 2 });
      expect(problemsOf(withLines('evaluation: { testSamples: 5000 }'))).toEqual(['evaluation.testSamples: is 5000, but mnist holds out about 2000 test samples']);
    });

    it('the topology must fit the number of peers', () => {
      const small = GOOD.replace('peers: 100', 'peers: 5');
      expect(problemsOf(`${small}topology: { kind: ring, k: 3 }\n`)).toEqual(['topology.k: needs more than 2k = 6 peers (k neighbours on each side), but peers is 5']);
      expect(problemsOf(`${small}topology: { kind: random-regular, k: 3 }\n`)[0]).toMatch(/^topology.k: peers·k must be even/);
      expect(problemsOf(`${small}topology: { kind: dynamic, s: 5 }\n`)).toEqual(['topology.s: must be less than peers (5), got 5']);
    });

    it('task.cohort.minPeers must not exceed peers; task.data and task.mode belong to the scenario', () => {
      const text = GOOD.replace('peers: 100', 'peers: 3').replace('stopping: { rounds: 20 }', 'stopping: { rounds: 20 }\n  cohort: { minPeers: 4 }\n  data: { builtin: mnist }\n  mode: gossip');
      expect(problemsOf(text)).toEqual([
        'task.data: set the data at the top level of the scenario (data:), not in the task',
        "task.mode: remove it: each of the scenario's algorithms sets the mode",
        'task.cohort.minPeers: is 4, more than the 3 peers',
      ]);
    });

    it('regions latency needs one region per peer and every pair in the matrix', () => {
      const text = GOOD.replace('peers: 100', 'peers: 3');
      expect(problemsOf(`${text}network: { latency: { kind: regions, regionOf: [eu, us], matrix: { eu: { eu: 1 } } } }\n`)).toEqual([
        'network.latency.regionOf: lists 2 regions but there are 3 peers (give one region per peer)',
      ]);
      expect(problemsOf(`${text}network: { latency: { kind: regions, regionOf: [eu, us, us], matrix: { eu: { eu: 1, us: 50 } } } }\n`)).toEqual([
        'network.latency.matrix: has no latency between regions "us" and "us" (add matrix.us.us)',
      ]);
    });

    it('csv data needs its schema fields', () => {
      const text = GOOD.replace('data: { builtin: mnist }', 'data: { csv: x.csv, classes: [a] }');
      expect(problemsOf(text)).toEqual([
        'data.labelColumn: is required',
        'data.classes: must be a list of at least 2 label values, got 1',
        'data: give "featureColumns" (the feature column names) or "featureCount" (all columns but the label)',
      ]);
    });
  });
});

describe('algorithms entries (variants)', () => {
  const VARIANTS = `
name: variants
peers: 10
data: { builtin: mnist }
partition: iid
task:
  model: { preset: mlp }
  training: { epochs: 1, batchSize: 10, learningRate: 0.01 }
  stopping: { rounds: 5 }
network: { latency: { kind: constant, ms: 20 } }
algorithms:
  - gossip
  - { algorithm: gossip, label: gossip ring, topology: { kind: ring } }
  - { algorithm: fedavg, label: fedavg E=5 non-iid, partition: { kind: shards }, task: { training: { epochs: 5 }, cohort: { fraction: 0.1 }, encoding: f32 } }
  - { algorithm: curator, label: curator lossy, network: { dropProbability: 0.5 }, churn: { kind: sessions, online: 0.9, meanSessionMs: 60000 } }
`;

  it('resolves each entry: the top level, with its overrides replaced or merged in', () => {
    const s = parseScenario(VARIANTS, 'variants.yaml');
    const [plain, ring, fedavg, lossy] = s.algorithms;
    expect(s.algorithms.map((v) => v.label)).toEqual(['gossip', 'gossip ring', 'fedavg E=5 non-iid', 'curator lossy']);
    expect(s.algorithms.map((v) => v.algorithm)).toEqual(['gossip', 'gossip', 'fedavg', 'curator']);
    expect(plain).toEqual({ label: 'gossip', algorithm: 'gossip', partition: s.partition, topology: s.topology, network: s.network, churn: s.churn, task: s.task, attackers: [] });
    expect(ring!.topology).toEqual({ kind: 'ring', k: 1 });
    expect(ring!.task).toBe(s.task);
    // training and cohort merged field by field; encoding replaced; the rest untouched.
    expect(fedavg!.partition).toEqual({ kind: 'shards', shardsPerClient: 2 });
    expect(fedavg!.task.training).toEqual({ epochs: 5, batchSize: 10, learningRate: 0.01, optimizer: 'adam' });
    expect(fedavg!.task.cohort).toEqual({ fraction: 0.1, minPeers: 2 });
    expect(fedavg!.task.encoding).toBe('f32');
    expect({ ...fedavg!.task, training: s.task.training, cohort: s.task.cohort, encoding: s.task.encoding }).toEqual(s.task);
    expect(s.task.training.epochs).toBe(1);
    // network merged field by field: the scenario's latency stays.
    expect(lossy!.network).toEqual({ ...s.network, dropProbability: 0.5 });
    expect(lossy!.churn).toEqual({ kind: 'sessions', online: 0.9, meanSessionMs: 60000, sigma: 1 });
    expect(s.partition).toEqual({ kind: 'iid' });
    expect(s.network.dropProbability).toBe(0);
  });

  it('reports every problem of an entry under algorithms[i], with the top-level rules', () => {
    const text = VARIANTS.replace(/algorithms:[\s\S]*$/, `algorithms:
  - curator
  - { algorithm: gossipp, label: "a, b", partition: { kind: dirichlet }, topology: { kind: ring, k: 9 }, task: { training: { epochs: 0, batchSiz: 3 }, mode: gossip }, colour: red }
  - { algorithm: fedavg, topology: ring, churn: { kind: crash, fraction: 0.1 }, network: { dropProbability: 0.2, partitions: [{ at: 5, groups: [[0, 1]] }], latency: { kind: uniform, min: 5, max: 1 } } }
  - { label: x }
  - 7
  - { algorithm: curator }
  - { algorithm: gossip, label: curator, task: { cohort: { minPeers: 11 } } }
  - { algorithm: gossip, label: this label is far too long for a legend }
  - { algorithm: gossip, label: g2, task: { data: { builtin: mnist }, trainig: {} } }
`);
    const problems = problemsOf(text);
    const expected = [
      'algorithms[1]: unknown field "colour" (known fields: algorithm, label, partition, topology, network, churn, task, attackers)',
      'algorithms[1].algorithm: must be one of curator, gossip, fedavg, got "gossipp" (did you mean "gossip"?)',
      'algorithms[1].label: must not contain commas, double quotes or line breaks (it is a CSV cell), got "a, b"',
      "algorithms[1].task.mode: remove it: the entry's algorithm sets the mode",
      'algorithms[1].partition.alpha: is required',
      'algorithms[1].task.training: unknown field "batchSiz" (did you mean "batchSize"?)',
      'algorithms[1].topology.k: needs more than 2k = 18 peers (k neighbours on each side), but peers is 10',
      'algorithms[6].task.cohort.minPeers: is 11, more than the 10 peers',
      'algorithms[2].topology: fedavg uses a central server, not an overlay; remove it',
      "algorithms[2].network.partitions: the fedavg baseline's server reaches every client: it models no network partitions; remove it",
      'algorithms[2].network.latency.max: must be ≥ min (5), got 1',
      'algorithms[3].algorithm: is required (one of curator, gossip, fedavg)',
      'algorithms[4]: must be an algorithm name (curator, gossip, fedavg) or a mapping { algorithm, label?, partition?, task?, topology?, network?, churn?, attackers? }, got 7',
      'algorithms[5].label: is required: algorithms[0] is already labelled "curator" (labels must be unique)',
      'algorithms[6].label: "curator" is already the label of algorithms[0]',
      'algorithms[7].label: must be at most 28 characters (the plot legends show that many), got 39',
      "algorithms[8].task.data: every entry uses the scenario's data; remove it",
      'algorithms[8].task: unknown field "trainig" (did you mean "training"?)',
    ];
    for (const problem of expected) expect(problems, problems.join('\n')).toContain(problem);
    expect(problems.some((p) => p.startsWith('algorithms[1].task.training.epochs: '))).toBe(true);
    expect(problems).toHaveLength(expected.length + 1);
  });

  it('lists a top-level problem once, not again under each entry that inherits it', () => {
    const text = VARIANTS.replace('epochs: 1,', 'epochs: 0,').replace('latency: { kind: constant, ms: 20 }', 'latency: { kind: constant, ms: -1 }');
    const problems = problemsOf(text);
    expect(problems.filter((p) => p.includes('epochs'))).toHaveLength(1);
    expect(problems.find((p) => p.includes('epochs'))).toMatch(/^task\.training\.epochs: /);
    expect(problems.filter((p) => p.includes('latency'))).toEqual(['network.latency.ms: must be a time in ms ≥ 0, got -1']);
  });

  it('rejects a top-level topology when every entry is fedavg', () => {
    const text = `${GOOD.replace('[curator, gossip, fedavg]', '[fedavg, { algorithm: fedavg, label: fedavg C=0.1, task: { cohort: { fraction: 0.1 } } }]')}topology: ring\n`;
    expect(problemsOf(text)).toEqual(['topology: fedavg uses a central server, not an overlay; remove the topology or add curator or gossip to algorithms']);
  });
});

describe('readScenario', () => {
  it('parses sim/scenarios/smoke.yaml', async () => {
    const s = await readScenario(resolve(import.meta.dirname, '../../sim/scenarios/smoke.yaml'));
    expect(s.name).toBe('smoke');
    expect(s.peers).toBe(6);
    expect(s.data).toEqual({ builtin: 'mnist' });
    expect(s.partition).toEqual({ kind: 'iid' });
    expect(s.task.model).toEqual({ preset: 'mlp', seed: 0 });
    expect(s.task.stopping).toEqual({ rounds: 2 });
    expect(s.topology).toEqual({ kind: 'complete' });
    expect(s.algorithms.map((v) => v.label)).toEqual(['curator', 'gossip']);
  });

  it('parses every shipped scenario in sim/scenarios/', async () => {
    const dir = resolve(import.meta.dirname, '../../sim/scenarios');
    const files = (await readdir(dir)).filter((file) => file.endsWith('.yaml')).sort();
    expect(files).toEqual(expect.arrayContaining(['smoke.yaml', 'mcmahan-2nn.yaml', 'gossip-vs-fedavg.yaml', 'topology-equal-bytes.yaml', 'extreme-failures.yaml']));
    for (const file of files) {
      const s = await readScenario(join(dir, file));
      expect(`${s.name}.yaml`, 'a shipped scenario is named after its file').toBe(file);
      expect(s.protocolOnly).toBe(false);
      expect(s.algorithms.length).toBeGreaterThan(0);
    }
  });

  it('checks a churn trace file, relative to the scenario', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scenario-'));
    const scenario = join(dir, 's.yaml');
    await writeFile(scenario, withLines('churn: { kind: trace, path: trace.csv }'));
    await expect(readScenario(scenario)).rejects.toThrow(/churn\.path: cannot read .*trace\.csv \(ENOENT\)/);
    await writeFile(join(dir, 'trace.csv'), 'peer,time_ms,state\np0,100,sideways\n');
    await expect(readScenario(scenario)).rejects.toThrow(/churn\.path: .*trace\.csv line 2: state must be "up" or "down"/);
    await writeFile(join(dir, 'trace.csv'), 'p0,100,down\n');
    expect((await readScenario(scenario)).churn).toEqual({ kind: 'trace', path: join(dir, 'trace.csv') });
    await expect(readScenario(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read the file \(ENOENT\)/);
  });
});
