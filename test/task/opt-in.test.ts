import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTaskManifest } from '../../node/task/manifest.ts';
import { checkOptIn, type OptIn } from '../../node/task/opt-in.ts';
import { signTask, verifySignedTask, type VerifiedTask } from '../../node/task/signing.ts';

const MANIFEST = 'version: 1\nid: tiny-task\nmodel: { preset: logreg }\ndata: { featureCount: 3, classes: [a, b], labelColumn: y }\nstopping: { rounds: 5 }\n';

let task: VerifiedTask;
let creator: string;
let stranger: string;

beforeAll(async () => {
  const key = await generateKeyPair('Ed25519');
  creator = peerIdFromPrivateKey(key).toString();
  stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString();
  task = await verifySignedTask(await signTask(parseTaskManifest(MANIFEST, 'm.yaml'), key), 'm.signed.yaml');
});

describe('checkOptIn', () => {
  it('accepts a task by id and trusted signer', () => {
    const optIn: OptIn = { taskId: 'tiny-task', signers: [stranger, creator] };
    expect(checkOptIn(task, [{ taskId: 'other-task', signers: [creator] }, optIn])).toEqual({ accepted: true, optIn });
  });

  it('accepts a task pinned by its exact hash, whoever signed it', () => {
    const optIn: OptIn = { taskId: 'tiny-task', taskHash: task.taskHash.toUpperCase() };
    expect(checkOptIn(task, [optIn])).toEqual({ accepted: true, optIn });
  });

  it('refuses a task the peer did not opt into, listing what it did opt into', () => {
    expect(checkOptIn(task, [])).toEqual({ accepted: false, reason: 'not opted into task "tiny-task" (opted into: none)' });
    expect(checkOptIn(task, [{ taskId: 'mnist-2nn', signers: [creator] }])).toEqual({ accepted: false, reason: 'not opted into task "tiny-task" (opted into: mnist-2nn)' });
  });

  it('refuses a task signed by someone not trusted for that id', () => {
    const decision = checkOptIn(task, [{ taskId: 'tiny-task', signers: [stranger] }]);
    expect(decision).toEqual({ accepted: false, reason: `task "tiny-task" is signed by ${creator}, who is not among the opt-in's signers (${stranger})` });
  });

  it('refuses a task whose hash differs from the pinned one, even from a trusted signer', () => {
    const pinned = '0'.repeat(64);
    const decision = checkOptIn(task, [{ taskId: 'tiny-task', signers: [creator], taskHash: pinned }]);
    expect(decision.accepted).toBe(false);
    expect(decision.accepted ? '' : decision.reason).toBe(`task "tiny-task" has hash ${task.taskHash}, but the opt-in accepts only ${pinned}`);
  });

  it('treats an opt-in with neither signers nor hash as accepting nothing', () => {
    const decision = checkOptIn(task, [{ taskId: 'tiny-task' }]);
    expect(decision.accepted ? '' : decision.reason).toMatch(/names neither signers nor a task hash/);
  });
});
