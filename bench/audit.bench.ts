/**
 * What verifying costs (issue 12): at 20 peers on the npm start task (MNIST `mlp` 784-200-200-10,
 * int8 deltas, fedavg; also median and centered clipping), the CPU time a curator spends making a
 * version from 20 pulled deltas against what an auditor spends checking it (the version advert's
 * 21 signatures, the same aggregation, sha256, comparison), measured interleaved in one process;
 * and the bytes a round gains by verification (signatures in the adverts, the auditors' pulls).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { encodeAdvert } from '../protocols/adverts/codec.ts';
import { AdvertEnvelope } from '../protocols/adverts/generated/adverts.js';
import { sealAdvert, signatureProblem, signWith, verifyByPeerId, type SignStatement } from '../protocols/adverts/statements.ts';
import type { Advert, DeltaAdvert, VersionAdvert } from '../protocols/messages.ts';
import { demoTask } from '../node/demo/federation.ts';
import { selectBackend } from '../node/learn/backend.ts';
import { MNIST_CLASSES, MNIST_FEATURES, mnistSplit } from '../node/learn/data/mnist.ts';
import { subset } from '../node/learn/data/dataset.ts';
import { encodeWeights, parameterCount } from '../node/learn/weights/index.ts';
import { Learner, type OfferedDelta } from '../node/peer/learner.ts';
import { ModelSlot } from '../node/peer/model-slot.ts';
import { VALIDATION_FRACTION } from '../node/peer/peer.ts';
import { AUDITORS_DEFAULT } from '../node/task/audit-section.ts';
import { hashBytes } from '../node/store/blobs.ts';
import { validateTaskManifest } from '../node/task/manifest.ts';
import { median, randomFloats, round } from './measure.ts';
import type { Bench, BenchOptions, BenchResult } from './types.ts';

const GOAL_RATIO = 1.5;
const MODEL = { kind: 'preset', preset: 'mlp' } as const;
const SHAPE = { featureCount: MNIST_FEATURES, classCount: MNIST_CLASSES };
/** A fixed advert clock: sizes do not depend on when the bench runs. */
const SENT_AT = 1_800_000_000_000;
const RULES = [{ strategy: 'fedavg' }, { strategy: 'median' }, { strategy: 'centered-clipping' }] as const;

/** Median CPU (user + system of this process) and wall milliseconds of one call, and every sample. */
interface Cost {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly cpuSamplesMs: readonly number[];
}

/** One warm-up call each, then `reps` turns in which every function runs once (a slow spell hits all alike). */
async function interleavedCosts(reps: number, fns: readonly (() => unknown)[]): Promise<Cost[]> {
  for (const fn of fns) await fn();
  const cpu = fns.map((): number[] => []);
  const wall = fns.map((): number[] => []);
  for (let rep = 0; rep < reps; rep++) {
    for (const [i, fn] of fns.entries()) {
      const startedCpu = process.cpuUsage();
      const started = performance.now();
      await fn();
      const ended = performance.now();
      const used = process.cpuUsage(startedCpu);
      wall[i]!.push(ended - started);
      cpu[i]!.push((used.user + used.system) / 1000);
    }
  }
  return fns.map((_, i) => ({ cpuMs: round(median(cpu[i]!)), wallMs: round(median(wall[i]!)), cpuSamplesMs: cpu[i]!.map((ms) => round(ms)) }));
}

interface Peer {
  readonly id: string;
  readonly sign: SignStatement;
}

interface World {
  readonly slot: ModelSlot;
  readonly peers: readonly Peer[];
  /** Each peer's int8 delta blob (random values of the scale of a trained delta: the work does not depend on them). */
  readonly deltas: readonly Uint8Array[];
  readonly validation: ReturnType<typeof subset>;
}

async function makeWorld(peerCount: number): Promise<World> {
  const slot = await ModelSlot.create(MODEL, SHAPE, 1);
  const keys = await Promise.all(Array.from({ length: peerCount }, (_, i) => generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(i + 1))));
  const peers = keys.map((key) => ({ id: peerIdFromPrivateKey(key).toString(), sign: signWith(key) }));
  const params = parameterCount(slot.manifest);
  const deltas = peers.map((_, i) => encodeWeights({ manifest: slot.manifest, values: randomFloats(params, i + 1) }, 'int8'));
  // A curator's held-out rows: 10% of one peer's share of the MNIST training digits.
  const { train, test } = await mnistSplit();
  const held = Math.max(1, Math.round((train.size / peerCount) * VALIDATION_FRACTION));
  return { slot, peers, deltas, validation: subset(test, Array.from({ length: held }, (_, i) => i), 'held-out') };
}

/** Wire bytes of `advert` without any statement signature (the fields the signing scheme added). */
function unsignedBytes(advert: Advert): number {
  const envelope = AdvertEnvelope.decode(encodeAdvert(advert));
  if (envelope.delta !== undefined) delete envelope.delta.signature;
  if (envelope.version !== undefined) {
    delete envelope.version.signature;
    for (const c of envelope.version.contributors) delete c.signature;
  }
  return AdvertEnvelope.encode(envelope).byteLength;
}

interface RuleFigures {
  readonly strategy: string;
  readonly peers: number;
  readonly reps: number;
  readonly loadAverageStart: number;
  readonly curator: Cost;
  readonly auditor: Cost;
  /** The auditor's recomputation alone (aggregate, sha256, compare), without the signature checks every peer makes. */
  readonly recompute: Cost;
  /** Every peer, per round: the version advert's signatures, and the other peers' delta adverts'. */
  readonly verifyVersionAdvert: Cost;
  readonly verifyDeltaAdverts: Cost;
  /** The curator's held-out validation of its version (only with a target accuracy); not in `curator`. */
  readonly validation: Cost & { readonly rows: number };
  /** auditor / curator CPU medians (the goal); the others for context. */
  readonly ratio: number;
  readonly ratioWall: number;
  readonly recomputeRatio: number;
  readonly ratioWithValidation: number;
  readonly bytes: RuleBytes;
}

interface RuleBytes {
  readonly deltaBlob: number;
  readonly versionBlob: number;
  /** What a peer holding the parent pulls to get the version: the patch, or the whole version (server state). */
  readonly versionPull: number;
  readonly patchBlob: number | null;
  readonly deltaAdvertSigned: number;
  readonly deltaAdvertUnsigned: number;
  readonly versionAdvertSigned: number;
  readonly versionAdvertUnsigned: number;
  /** Bytes received per round, summed over peers (see `roundTraffic`). */
  readonly existing: number;
  readonly signatureExtra: number;
  readonly auditPullExtra: number;
  readonly extra: number;
  readonly extraShare: number;
  readonly signatureShareOfAdverts: number;
}

/**
 * Bytes received per round, summed over all peers, each advert counted once per receiving peer
 * (gossipsub's duplicate forwards and framing left out: they scale advert bytes alike). Existing:
 * the curator pulls the N − 1 other deltas, the N − 1 other peers pull the version (its patch),
 * N delta adverts and one version advert reach N − 1 peers each. Extra: the signatures in those
 * adverts, and each auditor (a contributor, holding its own delta, the parent and the version)
 * pulling the N − 1 deltas it does not hold.
 */
function roundTraffic(n: number, auditors: number, sizes: Omit<RuleBytes, 'existing' | 'signatureExtra' | 'auditPullExtra' | 'extra' | 'extraShare' | 'signatureShareOfAdverts'>): RuleBytes {
  const others = n - 1;
  const adverts = n * others * sizes.deltaAdvertUnsigned + others * sizes.versionAdvertUnsigned;
  const existing = others * sizes.deltaBlob + others * sizes.versionPull + adverts;
  const signatureExtra = n * others * (sizes.deltaAdvertSigned - sizes.deltaAdvertUnsigned) + others * (sizes.versionAdvertSigned - sizes.versionAdvertUnsigned);
  const auditPullExtra = auditors * others * sizes.deltaBlob;
  const extra = signatureExtra + auditPullExtra;
  return { ...sizes, existing, signatureExtra, auditPullExtra, extra, extraShare: round(extra / existing), signatureShareOfAdverts: round(signatureExtra / adverts) };
}

async function measureRule(world: World, aggregation: (typeof RULES)[number], reps: number): Promise<RuleFigures> {
  const loadAverageStart = round(loadavg()[0] ?? 0, 3);
  const task = validateTaskManifest({ ...demoTask(1, 1), aggregation }, 'audit bench task');
  const learner = (seed: string, validation?: World['validation']) =>
    Learner.sharing(world.slot, { task, model: MODEL, shape: SHAPE, data: world.validation, seed, ...(validation === undefined ? {} : { validation }) });
  const curatorLearner = learner('curator', world.validation);
  const auditorLearner = learner('auditor');
  const { peers } = world;
  const curator = peers[0]!;
  const parent = curatorLearner.genesisBlob();
  const parentHash = hashBytes(parent);
  // Every trainer's signed delta advert, and the deltas as the curator (and an auditor) hold them once pulled.
  const deltaAdverts: DeltaAdvert[] = peers.map((peer, i) => {
    const blob = world.deltas[i]!;
    const advert: DeltaAdvert = { kind: 'delta', task: task.id, round: 1, base: parentHash, delta: hashBytes(blob), bytes: blob.byteLength, samples: 100 + i, metrics: { loss: 0.5, accuracy: 0.9 }, sentAt: SENT_AT };
    return sealAdvert(advert, peer.id, peer.sign) as DeltaAdvert;
  });
  const advertOf = new Map(peers.map((peer, i) => [peer.id, deltaAdverts[i]!]));
  const offered: OfferedDelta[] = peers.map((peer, i) => ({ from: peer.id, blob: world.deltas[i]!, samples: deltaAdverts[i]!.samples })).sort((a, b) => (a.from < b.from ? -1 : 1));

  // The curator, once the deltas are pulled: validate and aggregate them, hash the version (and
  // its patch) as the store does, sign its version statement and its own entry, encode the advert.
  let published: VersionAdvert | undefined;
  let versionBlob: Uint8Array = new Uint8Array();
  let patchBlob: Uint8Array | undefined;
  const curate = () => {
    const result = curatorLearner.aggregate(parent, offered);
    if (result.accepted.length !== peers.length) throw new Error(`the curator rejected ${result.rejected.length} deltas: ${result.rejected[0]?.reason}`);
    const hash = hashBytes(result.blob);
    const patch = result.patch === undefined ? undefined : hashBytes(result.patch);
    const contributors = result.accepted.map((d) => {
      const { delta, signature } = advertOf.get(d.from)!;
      return { peer: d.from, delta, samples: d.samples, ...(d.from === curator.id || signature === undefined ? {} : { signature }) };
    });
    const advert: VersionAdvert = { kind: 'version', task: task.id, round: 1, hash, parent: parentHash, bytes: result.blob.byteLength, contributors, merged: [], curator: curator.id, sentAt: SENT_AT, ...(patch === undefined ? {} : { patch }) };
    published = sealAdvert(advert, curator.id, curator.sign) as VersionAdvert;
    versionBlob = result.blob;
    patchBlob = result.patch;
    return encodeAdvert(published);
  };
  curate();
  const version = published!;
  const checkSignatures = (advert: Advert, from: string) => {
    const problem = signatureProblem(advert, from, verifyByPeerId);
    if (problem !== undefined) throw new Error(`bench adverts do not verify: ${problem}`);
  };
  const verifyVersion = () => checkSignatures(version, curator.id);
  // Every peer hears the other N − 1 trainers' delta adverts (peer 1's view: all but its own).
  const verifyDeltas = () => {
    for (const [i, advert] of deltaAdverts.entries()) if (i !== 1) checkSignatures(advert, peers[i]!.id);
  };
  const recompute = () => {
    const recomputed = hashBytes(auditorLearner.aggregate(parent, offered).blob);
    if (recomputed !== version.hash) throw new Error(`the auditor recomputed ${recomputed.slice(0, 12)}, not the curator's ${version.hash.slice(0, 12)}`);
  };
  const audit = () => {
    verifyVersion();
    recompute();
  };
  const validate = () => curatorLearner.validate(versionBlob);
  const [curatorCost, auditorCost, recomputeCost, versionCost, deltasCost, validationCost] = await interleavedCosts(reps, [curate, audit, recompute, verifyVersion, verifyDeltas, validate]);
  curatorLearner.dispose();
  auditorLearner.dispose();

  const bytes = roundTraffic(peers.length, AUDITORS_DEFAULT, {
    deltaBlob: world.deltas[0]!.byteLength,
    versionBlob: versionBlob.byteLength,
    versionPull: patchBlob?.byteLength ?? versionBlob.byteLength,
    patchBlob: patchBlob?.byteLength ?? null,
    deltaAdvertSigned: encodeAdvert(deltaAdverts[0]!).byteLength,
    deltaAdvertUnsigned: unsignedBytes(deltaAdverts[0]!),
    versionAdvertSigned: encodeAdvert(version).byteLength,
    versionAdvertUnsigned: unsignedBytes(version),
  });
  const cpu = (cost: Cost | undefined) => cost!.cpuMs;
  return {
    strategy: aggregation.strategy,
    peers: peers.length,
    reps,
    loadAverageStart,
    curator: curatorCost!,
    auditor: auditorCost!,
    recompute: recomputeCost!,
    verifyVersionAdvert: versionCost!,
    verifyDeltaAdverts: deltasCost!,
    validation: { ...validationCost!, rows: world.validation.size },
    ratio: round(cpu(auditorCost) / cpu(curatorCost), 3),
    ratioWall: round(auditorCost!.wallMs / curatorCost!.wallMs, 3),
    recomputeRatio: round(cpu(recomputeCost) / cpu(curatorCost), 3),
    ratioWithValidation: round(cpu(auditorCost) / (cpu(curatorCost) + cpu(validationCost)), 3),
    bytes,
  };
}

function gitState(): { commit: string; dirty: boolean } {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: import.meta.dirname, encoding: 'utf8' }).trim();
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

async function run({ smoke, log }: BenchOptions): Promise<BenchResult> {
  const peers = smoke ? 4 : 20;
  const reps = smoke ? 2 : 21;
  const git = gitState();
  const backend = await selectBackend();
  const loadAverageStart = loadavg().map((load) => round(load, 3));
  const world = await makeWorld(peers);
  const rules: RuleFigures[] = [];
  for (const rule of smoke ? RULES.slice(0, 2) : RULES) {
    log(`${rule.strategy}: ${peers} peers, ${reps} repetitions…`);
    rules.push(await measureRule(world, rule, reps));
  }
  world.slot.dispose();
  const kB = (bytes: number) => round(bytes / 1000, 4);
  return {
    summary:
      `${peers} peers (Ed25519 ids), MNIST mlp 784-200-200-10, int8 deltas: median CPU ms (process user + system) of ${reps} interleaved ` +
      `repetitions. Curator = learner.aggregate of ${peers} pulled deltas + sha256 of version and patch + signing (version statement, own entry) + ` +
      `encodeAdvert; held-out validation measured apart, not included. Auditor = the version advert's ${peers + 1} signatures (signatureProblem, ` +
      `verifyByPeerId, keys cached) + the same learner.aggregate + sha256 + compare. Pulls and network time are not measured. ` +
      `Bytes: received per round, summed over peers, each advert counted once per receiver; ${AUDITORS_DEFAULT} auditors each pull the ${peers - 1} deltas they lack.`,
    tables: [
      {
        title: 'CPU per round (median ms) and auditor / curator',
        columns: ['rule', 'curator', 'auditor', 'auditor/curator', 'recompute only', 'version sigs (every peer)', `${peers - 1} delta advert sigs (every peer)`, 'validation (not in curator)'],
        rows: rules.map((r) => [r.strategy, r.curator.cpuMs, r.auditor.cpuMs, r.ratio, r.recompute.cpuMs, r.verifyVersionAdvert.cpuMs, r.verifyDeltaAdverts.cpuMs, r.validation.cpuMs]),
      },
      {
        title: 'Bytes per round (kB received, all peers)',
        columns: ['rule', 'delta blob', 'version pull', 'delta advert signed/unsigned', 'version advert signed/unsigned', 'existing', 'signatures', 'audit pulls', 'extra / existing'],
        rows: rules.map(({ strategy, bytes: b }) => [
          strategy,
          kB(b.deltaBlob),
          kB(b.versionPull),
          `${b.deltaAdvertSigned}/${b.deltaAdvertUnsigned} B`,
          `${b.versionAdvertSigned}/${b.versionAdvertUnsigned} B`,
          kB(b.existing),
          kB(b.signatureExtra),
          kB(b.auditPullExtra),
          b.extraShare,
        ]),
      },
    ],
    figures: {
      ...git,
      backend: backend.name,
      peers,
      auditors: AUDITORS_DEFAULT,
      reps,
      loadAverageStart,
      loadAverageEnd: loadavg().map((load) => round(load, 3)),
      rules,
    },
    goals: rules.map((r) => ({
      goal: `auditor/curator CPU <= ${GOAL_RATIO} at ${peers} peers (${r.strategy})`,
      measured: `${r.ratio} (auditor ${r.auditor.cpuMs} ms, curator ${r.curator.cpuMs} ms)`,
      met: r.ratio <= GOAL_RATIO,
    })),
  };
}

const bench: Bench = {
  name: 'audit',
  description: 'CPU an auditor spends per round vs the curator, 20 peers, mlp int8; extra bytes per round from signatures and audit pulls',
  run,
};
export default bench;
