/**
 * A peer trains only on tasks it opted into. An opt-in names a task id and pins it either to
 * signers the peer trusts (any task with that id signed by one of them) or to one exact task
 * hash (that very manifest, whoever signed it), or both (both must hold).
 */
import type { VerifiedTask } from './signing.ts';

export interface OptIn {
  readonly taskId: string;
  /** Peer ID strings allowed to sign this task. */
  readonly signers?: readonly string[];
  /** The one task hash accepted (lowercase hex SHA-256 of the canonical manifest). */
  readonly taskHash?: string;
}

export type OptInDecision = { readonly accepted: true; readonly optIn: OptIn } | { readonly accepted: false; readonly reason: string };

/** Whether the peer may train on `task` under its opt-in list, and why not when refused. */
export function checkOptIn(task: VerifiedTask, optIns: readonly OptIn[]): OptInDecision {
  const { id } = task.manifest;
  const candidates = optIns.filter((optIn) => optIn.taskId === id);
  if (candidates.length === 0) {
    const known = optIns.map((optIn) => optIn.taskId);
    return { accepted: false, reason: `not opted into task "${id}" (opted into: ${known.length === 0 ? 'none' : known.join(', ')})` };
  }
  const reasons: string[] = [];
  for (const optIn of candidates) {
    if (optIn.signers === undefined && optIn.taskHash === undefined) {
      reasons.push(`the opt-in for "${id}" names neither signers nor a task hash, so it accepts nothing; add one`);
      continue;
    }
    if (optIn.taskHash !== undefined && optIn.taskHash.toLowerCase() !== task.taskHash) {
      reasons.push(`task "${id}" has hash ${task.taskHash}, but the opt-in accepts only ${optIn.taskHash}`);
      continue;
    }
    if (optIn.signers !== undefined && !optIn.signers.includes(task.signer)) {
      reasons.push(`task "${id}" is signed by ${task.signer}, who is not among the opt-in's signers (${optIn.signers.join(', ') || 'none'})`);
      continue;
    }
    return { accepted: true, optIn };
  }
  return { accepted: false, reason: reasons.join('; ') };
}
