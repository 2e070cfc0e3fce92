/**
 * The task manifest's `audit:` section: how many peers recompute each curated version
 * (PROTOCOL §7.15). Absent from the complete manifest unless given, so tasks written before it
 * existed keep their task hash; absent means `AUDITORS_DEFAULT`.
 */
import { Problems, checkKnownKeys, mappingField, numberField, type Mapping } from './fields.ts';

/** Auditors drawn per curated version when the section does not say. */
export const AUDITORS_DEFAULT = 2;

export interface TaskAudit {
  /**
   * Peers drawn by score("audit", …) to recompute each curated version, whole number in [0, 64].
   * 0 turns audits off: every curator's arithmetic is then taken on trust (fraud adverts from
   * others are still checked).
   */
  readonly auditors: number;
}

const AUDITORS = { integer: true, min: 0, max: 64, expected: 'a whole number from 0 to 64' } as const;

/** The audit section; null when the manifest does not give it, undefined after a problem. */
export function readAudit(root: Mapping, mode: string | undefined, problems: Problems): TaskAudit | null | undefined {
  const audit = mappingField(root, 'audit', '', problems, false);
  if (audit === undefined) return root['audit'] === undefined || root['audit'] === null ? null : undefined;
  checkKnownKeys(audit, ['auditors'], 'audit', problems);
  if (mode !== undefined && mode !== 'curator') {
    problems.add('audit', `audits curators' versions, but the task's mode is ${mode}, which has no curator; remove it`);
    return undefined;
  }
  const auditors = numberField(audit, 'auditors', 'audit', problems, AUDITORS, AUDITORS_DEFAULT);
  return auditors === undefined ? undefined : { auditors };
}
