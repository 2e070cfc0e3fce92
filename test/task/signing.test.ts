import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { parse, stringify } from 'yaml';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonBytes } from '../../node/task/canonical.ts';
import { TaskManifestError, parseTaskManifest, readTaskManifest, type TaskManifest } from '../../node/task/manifest.ts';
import { SIGNED_TASK_FORMAT, TaskSignatureError, readSignedTask, signTask, taskHash, verifySignedTask, type TaskSignatureProblem } from '../../node/task/signing.ts';

const EXAMPLE = join(import.meta.dirname, '../../examples/tasks/iris-like.yaml');

let creator: PrivateKey;
let other: PrivateKey;
let manifest: TaskManifest;
let folder: string;

beforeAll(async () => {
  creator = await generateKeyPair('Ed25519');
  other = await generateKeyPair('Ed25519');
  manifest = await readTaskManifest(EXAMPLE);
});
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'gossipfl-signed-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

type Envelope = Record<string, unknown> & { manifest: Record<string, Record<string, unknown>> };

async function refusal(text: string): Promise<TaskSignatureError> {
  try {
    await verifySignedTask(text, 'task.signed.yaml');
  } catch (error) {
    if (error instanceof TaskSignatureError) return error;
    throw error;
  }
  throw new Error('expected the signed task to be refused');
}

async function expectRefused(text: string, problem: TaskSignatureProblem, message: RegExp): Promise<void> {
  const error = await refusal(text);
  expect(error.problem).toBe(problem);
  expect(error.message).toMatch(message);
}

/** Reorders every mapping's keys (reversed), recursively. */
function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, reorder(item)]));
  }
  return value;
}

describe('canonical JSON', () => {
  it('sorts keys recursively, drops undefined members, writes no whitespace and ECMAScript numbers', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x\n"é'], c: { e: 0.003, d: 1e21, f: undefined, g: -0 } })).toBe('{"a":[true,null,"x\\n\\"é"],"b":1,"c":{"d":1e+21,"e":0.003,"g":0}}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/a: NaN has no JSON form/);
  });
});

describe('known answer (for other implementations)', () => {
  it('gives a fixed canonical text, task hash and signature for a fixed manifest and key', async () => {
    const kat = parseTaskManifest('version: 1\nid: kat-task\nmodel: { preset: logreg }\ndata: { featureCount: 2, classes: [no, yes], labelColumn: y }\nstopping: { rounds: 3 }\n', 'kat.yaml');
    expect(canonicalJson(kat)).toBe(
      '{"aggregation":{"strategy":"fedavg"},"cohort":{"fraction":1,"minPeers":2},"data":{"classes":["no","yes"],"featureCount":2,"labelColumn":"y","minSamples":1},"encoding":"int8","id":"kat-task","mode":"curator","model":{"preset":"logreg","seed":0},"stopping":{"rounds":3},"timing":{"collectionWindowMs":60000,"curatorDeadlineMs":120000,"maxBlobBytes":67108864},"training":{"batchSize":32,"epochs":1,"learningRate":0.003,"optimizer":"adam"},"version":1}',
    );
    expect(taskHash(kat)).toBe('a94494912f3d43323ebc7c242d43b15345005cae9346b1b68cf29c187160882c');
    const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(7));
    const envelope = parse(await signTask(kat, key)) as Envelope;
    expect(envelope['signer']).toBe('12D3KooWRawPbxPtP1eZaJpumGnyWX2DcUyd3RQnydr3eAto4Az7');
    expect(envelope['signature']).toBe('rVcQKknGnN7P73IThDIsWP/pBx6cG400YrFXepS+m+locflYam04uUM+/OijZNtXelDPARLU7NIV44seQiEBBg==');
    expect(envelope.manifest['data']?.['classes']).toEqual(['no', 'yes']);
  });
});

describe('signTask / verifySignedTask', () => {
  it('round-trips a YAML envelope through a file: manifest, signer and task hash', async () => {
    const text = await signTask(manifest, creator);
    const path = join(folder, 'iris.signed.yaml');
    await writeFile(path, text);
    const verified = await readSignedTask(path);
    expect(verified.manifest).toEqual(manifest);
    expect(verified.signer).toBe(peerIdFromPrivateKey(creator).toString());
    expect(verified.taskHash).toMatch(/^[0-9a-f]{64}$/);
    expect(verified.taskHash).toBe(taskHash(manifest));
    const envelope = parse(await readFile(path, 'utf8')) as Envelope;
    expect(envelope['format']).toBe(SIGNED_TASK_FORMAT);
    expect(envelope['taskHash']).toBe(verified.taskHash);
  });

  it('round-trips a JSON envelope with the same task hash', async () => {
    const yaml = await verifySignedTask(await signTask(manifest, creator, 'yaml'), 'a.yaml');
    const json = await verifySignedTask(await signTask(manifest, creator, 'json'), 'a.json');
    expect(json).toEqual(yaml);
  });

  it('keeps the task hash across key order, YAML vs JSON, and explicit vs implicit defaults', async () => {
    const text = await signTask(manifest, creator);
    const envelope = parse(text) as Envelope;
    const reformatted = JSON.stringify(reorder(envelope));
    const a = await verifySignedTask(text, 'a');
    const b = await verifySignedTask(reformatted, 'b');
    expect(b.taskHash).toBe(a.taskHash);
    const minimal = 'version: 1\nid: tiny-task\nmodel: { preset: logreg }\ndata: { featureCount: 3, classes: [a, b], labelColumn: y }\nstopping: { rounds: 5 }\n';
    const asJson = JSON.stringify(reorder(parseTaskManifest(minimal, 'm.yaml')));
    expect(taskHash(parseTaskManifest(asJson, 'm.json'))).toBe(taskHash(parseTaskManifest(minimal, 'm.yaml')));
    const withDefault = minimal.replace('stopping', 'mode: curator\nstopping');
    expect(taskHash(parseTaskManifest(withDefault, 'm.yaml'))).toBe(taskHash(parseTaskManifest(minimal, 'm.yaml')));
    expect(taskHash(parseTaskManifest(minimal.replace('rounds: 5', 'rounds: 6'), 'm.yaml'))).not.toBe(taskHash(parseTaskManifest(minimal, 'm.yaml')));
  });

  it('puts gossip.clipRadius into the canonical manifest only when given, so gossip tasks without it keep their hash', () => {
    const minimal = 'version: 1\nid: tiny-task\nmodel: { preset: logreg }\ndata: { featureCount: 3, classes: [a, b], labelColumn: y }\nstopping: { rounds: 5 }\nmode: gossip\n';
    const plain = parseTaskManifest(`${minimal}gossip: { neighbours: 3 }\n`, 'm.yaml');
    const clipped = parseTaskManifest(`${minimal}gossip: { neighbours: 3, clipRadius: 0.5 }\n`, 'm.yaml');
    expect(canonicalJson(plain)).toContain('"gossip":{"neighbours":3}');
    expect(canonicalJson(clipped)).toContain('"gossip":{"clipRadius":0.5,"neighbours":3}');
    expect(canonicalJson(clipped).replace('"clipRadius":0.5,', '')).toBe(canonicalJson(plain));
    expect(taskHash(clipped)).not.toBe(taskHash(plain));
  });

  it('refuses a signed file whose manifest was edited, for any one field', async () => {
    const text = await signTask(manifest, creator);
    const edits: Array<[string, string, unknown]> = [
      ['training', 'learningRate', 0.2],
      ['training', 'optimizer', 'adam'],
      ['model', 'seed', 8],
      ['data', 'minSamples', 11],
      ['stopping', 'rounds', 51],
      ['timing', 'maxBlobBytes', 2_000_000],
    ];
    for (const [section, key, value] of edits) {
      const envelope = parse(text) as Envelope;
      (envelope.manifest[section] as Record<string, unknown>)[key] = value;
      await expectRefused(stringify(envelope), 'tampered', /changed after it was signed/);
    }
    await expectRefused(text.replace('learningRate: 0.1', 'learningRate: 0.11'), 'tampered', /changed after it was signed/);
    await expectRefused(text.replace('id: iris-like', 'id: iris-like2'), 'tampered', /changed after it was signed/);
    // Without the stated hash the edit still fails verification.
    const envelope = parse(text) as Envelope;
    delete envelope['taskHash'];
    envelope.manifest['training'] = { ...envelope.manifest['training'], learningRate: 0.2 };
    await expectRefused(stringify(envelope), 'wrong-signer', /not made by the signer/);
  });

  it('refuses a signature made by another key under the creator\'s signer field', async () => {
    const forged = parse(await signTask(manifest, other)) as Envelope;
    forged['signer'] = peerIdFromPrivateKey(creator).toString();
    await expectRefused(stringify(forged), 'wrong-signer', new RegExp(`not made by the signer ${peerIdFromPrivateKey(creator).toString()}`));
  });

  it('never accepts an unsigned manifest', async () => {
    await expectRefused(await readFile(EXAMPLE, 'utf8'), 'unsigned', /unsigned task manifest/);
    const envelope = parse(await signTask(manifest, creator)) as Envelope;
    await expectRefused(stringify({ ...envelope, signature: undefined }), 'unsigned', /has no signature/);
    await expectRefused(stringify({ ...envelope, signature: '' }), 'unsigned', /has no signature/);
    await expectRefused(stringify({ ...envelope, signer: undefined }), 'unsigned', /names no signer/);
  });

  it('refuses a garbled signature or signer, and malformed envelopes', async () => {
    const envelope = parse(await signTask(manifest, creator)) as Envelope;
    const signature = envelope['signature'] as string;
    await expectRefused(stringify({ ...envelope, signature: `${signature.slice(0, 10)}!${signature.slice(11)}` }), 'garbled-signature', /signature is garbled/);
    await expectRefused(stringify({ ...envelope, signature: Buffer.alloc(10).toString('base64') }), 'garbled-signature', /64-byte/);
    await expectRefused(stringify({ ...envelope, signature: 42 }), 'garbled-signature', /signature is garbled/);
    const flipped = Buffer.from(signature, 'base64');
    flipped[0] = (flipped[0] as number) ^ 1;
    await expectRefused(stringify({ ...envelope, signature: flipped.toString('base64') }), 'wrong-signer', /not made by the signer/);
    await expectRefused(stringify({ ...envelope, signer: 'not-a-peer-id' }), 'bad-signer', /not an Ed25519 peer ID/);
    const secp = await generateKeyPair('secp256k1');
    await expectRefused(stringify({ ...envelope, signer: peerIdFromPrivateKey(secp).toString() }), 'bad-signer', /not an Ed25519 peer ID/);
    await expectRefused(stringify({ ...envelope, format: 'gossipfl-signed-task/9' }), 'malformed', /format: must be gossipfl-signed-task\/1/);
    await expectRefused(stringify({ ...envelope, signatur: 'x' }), 'malformed', /unknown field "signatur" \(did you mean "signature"\?\)/);
    await expectRefused('format: [', 'malformed', /line 1, column \d+: syntax error/);
  });

  it('refuses a validly signed manifest that leaves defaults implicit, naming the fields', async () => {
    const raw = { ...(parse(await readFile(EXAMPLE, 'utf8')) as Record<string, unknown>) };
    delete raw['mode'];
    const canonical = canonicalJsonBytes(raw);
    const message = new Uint8Array([...new TextEncoder().encode(`${SIGNED_TASK_FORMAT}\n`), ...canonical]);
    const signature = Buffer.from(await creator.sign(message)).toString('base64');
    const text = stringify({ format: SIGNED_TASK_FORMAT, signer: peerIdFromPrivateKey(creator).toString(), signature, manifest: raw });
    await expectRefused(text, 'malformed', /state every field.*mode \(missing; its value is "curator"\)/s);
    const withNull = { ...raw, mode: 'curator', description: null, data: { ...(raw['data'] as object), classes: ['setosa', 'versicolor', 'virginica'] } };
    const nullMessage = new Uint8Array([...new TextEncoder().encode(`${SIGNED_TASK_FORMAT}\n`), ...canonicalJsonBytes(withNull)]);
    const nullSignature = Buffer.from(await creator.sign(nullMessage)).toString('base64');
    const nullText = JSON.stringify({ format: SIGNED_TASK_FORMAT, signer: peerIdFromPrivateKey(creator).toString(), signature: nullSignature, manifest: withNull });
    await expectRefused(nullText, 'malformed', /description \(written null, means nothing: leave it out\)/);
  });

  it('reports an invalid manifest inside a valid signature as a manifest error', async () => {
    const raw = { ...(parse(await readFile(EXAMPLE, 'utf8')) as Record<string, unknown>), encoding: 'f64' };
    const message = new Uint8Array([...new TextEncoder().encode(`${SIGNED_TASK_FORMAT}\n`), ...canonicalJsonBytes(raw)]);
    const signature = Buffer.from(await creator.sign(message)).toString('base64');
    const text = JSON.stringify({ format: SIGNED_TASK_FORMAT, signer: peerIdFromPrivateKey(creator).toString(), signature, manifest: raw });
    await expect(verifySignedTask(text, 'x.json')).rejects.toThrow(TaskManifestError);
    await expect(verifySignedTask(text, 'x.json')).rejects.toThrow(/encoding: must be one of f32, f16, int8, got "f64"/);
  });

  it('refuses to sign with a non-Ed25519 key', async () => {
    const secp = await generateKeyPair('secp256k1');
    await expect(signTask(manifest, secp)).rejects.toThrow(/Ed25519/);
  });
});
