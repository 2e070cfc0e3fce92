import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/scenario-run.ts';
import { writeScenarioReport } from '../../sim/scenario-report.ts';
import { parseScenario, ScenarioError } from '../../sim/scenario.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const PROTOCOL_ONLY = `
name: traffic-study
peers: 40
protocolOnly: true
deltaBytes: 200000
versionBytes: 800000
presenceIntervalMs: 5000
task:
  model: { preset: mlp }
  stopping: { rounds: 3 }
  timing: { collectionWindowMs: 4000, curatorDeadlineMs: 8000 }
algorithms:
  - curator
  - { algorithm: curator, label: curator-crashing, churn: { kind: curator-crash, probability: 1, downMs: 20000 } }
  - { algorithm: gossip, topology: { kind: random-regular, k: 4 } }
`;

function problemsOf(text: string): string[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('protocol-only scenarios', () => {
  it('run from a scenario file: declared sizes on the wire, blank accuracy, crashed curators marked', async () => {
    const scenario = parseScenario(PROTOCOL_ONLY, 'traffic.yaml');
    expect(scenario).toMatchObject({ protocolOnly: true, deltaBytes: 200_000, versionBytes: 800_000, presenceIntervalMs: 5000 });
    const runs = await runScenario(scenario);
    expect(runs.map((run) => run.label)).toEqual(['curator', 'curator-crashing', 'gossip']);
    for (const run of runs) expect(run.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    const [calm, crashing] = runs as [(typeof runs)[number], (typeof runs)[number]];
    // Every round of the calm line: 39 peers pull the version's 400 kB patch, the curator 39 deltas of 200 kB.
    expect(calm.rounds[2]!.bytesPerPeer / 3).toBeGreaterThan((39 * 400_000 + 39 * 200_000) / 40);
    expect(calm.rounds[2]!.bytesPerPeer / 3).toBeLessThan((39 * 800_000 + 39 * 200_000) / 40);
    expect(crashing.rounds.every((r) => r.curatorCrashed === true)).toBe(true);
    // A crash costs the round the collection window and the first standby slot.
    expect(crashing.rounds[0]!.time).toBeGreaterThan(4000 + 8000);
    // Without crashes, rounds after the first close early (the first waits for the window: a
    // starting peer's view of who is live completes only after a 5 s presence interval).
    expect(calm.rounds[2]!.time - calm.rounds[1]!.time).toBeLessThan(4000);

    const dir = await mkdtemp(join(tmpdir(), 'gossipfl-po-'));
    dirs.push(dir);
    await writeScenarioReport(dir, scenario, scenario.seed, runs);
    const rows = (await readFile(join(dir, 'rounds.csv'), 'utf8')).trim().split('\n').slice(1).map((line) => line.split(','));
    expect(rows).toHaveLength(9);
    for (const row of rows) expect(row.slice(3, 7)).toEqual(['', '', '', '']);
    expect(rows.filter((row) => row[0] === 'curator-crashing').map((row) => row.at(-1))).toEqual(['1', '1', '1']);
    expect(rows.filter((row) => row[0] !== 'curator-crashing').map((row) => row.at(-1))).toEqual(Array(6).fill(''));
  });

  it('refuses what cannot run: fedavg without training, curator crashes outside curator mode, versionBytes with training', () => {
    expect(problemsOf(PROTOCOL_ONLY.replace('  - curator\n', '  - fedavg\n'))).toContain('algorithms[0]: the fedavg baseline trains a real model: it cannot run protocol-only');
    expect(problemsOf(PROTOCOL_ONLY.replace('algorithm: curator, label: curator-crashing', 'algorithm: gossip, label: gossip-crashing'))).toContain(
      'algorithms[1].churn: curator-crash applies to the curator algorithm only, not gossip (line "gossip-crashing")',
    );
    const training = PROTOCOL_ONLY.replace('protocolOnly: true\ndeltaBytes: 200000\n', 'data: { builtin: mnist }\n');
    expect(problemsOf(training)).toContain('versionBytes: applies to protocol-only runs only; remove it or set protocolOnly: true');
    expect(problemsOf(PROTOCOL_ONLY.replace('probability: 1,', 'probability: 2,'))).toEqual([expect.stringMatching(/^algorithms\[1\]\.churn\.probability: .*\[0, 1\]/)]);
  });
});
