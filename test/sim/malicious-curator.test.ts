/**
 * Issue 12's malicious curator in the simulator: two of six peers curate with a wrong sum (their
 * versions undo the round while listing every contribution). Every honest peer convicts each
 * liar whose version it adopted, no honest history keeps a forged version, and the federation
 * redoes the abandoned rounds and completes every round.
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../node/learn/backend.ts';
import { simPeerId } from '../../sim/run.ts';
import { runScenario } from '../../sim/scenario-run.ts';
import { parseScenario } from '../../sim/scenario.ts';

const ROUNDS = 12;
const PEERS = 6;
const SCENARIO = `
name: malicious-curator-smoke
seed: 3
peers: ${PEERS}
data: { builtin: mnist }
task:
  model: { preset: logreg }
  training: { epochs: 1, batchSize: 256, learningRate: 0.01 }
  stopping: { rounds: ${ROUNDS} }
  timing: { collectionWindowMs: 2000, curatorDeadlineMs: 4000 }
algorithms: [curator]
attackers: { fraction: 0.34, kind: wrong-sum }
evaluation: { testSamples: 300 }
`;

describe('wrong-sum curators in the simulator', () => {
  it('are convicted by every honest peer, no honest chain keeps their versions, and every round completes', async () => {
    await selectBackend();
    const [run] = await runScenario(parseScenario(SCENARIO, 'malicious-curator-smoke.yaml'));
    const { tally, logs } = run!.fraud!;
    const liars = run!.attackers.map(({ peer }) => peer);
    const honest = Array.from({ length: PEERS }, (_, i) => simPeerId(i)).filter((peer) => !liars.includes(peer));
    expect(liars).toHaveLength(2);
    // The liars curated: honest peers adopted forged versions.
    expect(tally.forgedAdopted).toBeGreaterThan(0);

    // Each adopted forgery is proven, and every honest peer convicts its curator, and nobody else.
    const convictions = logs.flatMap(({ peer, message }) => {
      const match = /^(\S+) is proven dishonest.*its version (\w+) \(round (\d+)\)/.exec(message);
      return match === null ? [] : [{ by: peer, convicted: match[1]!, version: match[2]!, round: Number(match[3]) }];
    });
    const convicted = [...new Set(convictions.map(({ convicted }) => convicted))];
    expect(convicted.length).toBeGreaterThan(0);
    for (const liar of convicted) {
      expect(liars).toContain(liar);
      for (const peer of honest) expect(convictions.some(({ by, convicted }) => by === peer && convicted === liar), `${peer} convicts ${liar}`).toBe(true);
    }
    expect(tally.convictedVersions).toBe(tally.forgedAdopted);
    expect(tally.convictedHonestVersions).toBe(0);
    expect(tally.honestPeersConvicted).toBe(0);

    // No honest peer's final chain holds a forged version; no standing round is a convicted version.
    expect(tally.forgedInFinalChains).toBe(0);
    const forgedPrefixes = new Set(convictions.map(({ version }) => version));
    for (const round of run!.rounds) expect(forgedPrefixes.has(round.hash.slice(0, 12)), `round ${round.round}`).toBe(false);

    // The federation goes on: every abandoned round is redone, and every round completes.
    expect(run!.abandonedRounds.length).toBeGreaterThan(0);
    for (const abandoned of run!.abandonedRounds) expect(run!.rounds.some(({ round }) => round === abandoned.round)).toBe(true);
    expect(run!.rounds.map(({ round }) => round)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
    expect(Math.max(...convictions.map(({ round }) => round))).toBeLessThan(ROUNDS);
  }, 20_000);
});
