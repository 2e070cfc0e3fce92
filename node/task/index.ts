/** Tasks: manifests (what a federation trains), signed task envelopes, and peers' opt-ins. */
export { CanonicalJsonError, canonicalJson, canonicalJsonBytes } from './canonical.ts';
export {
  BUILTIN_DATASETS,
  TASK_DEFAULTS,
  TASK_ID_PATTERN,
  TASK_MANIFEST_VERSION,
  TASK_MODES,
  TaskManifestError,
  parseTaskManifest,
  readTaskManifest,
  taskDataSchema,
  taskModelSpec,
  validateTaskManifest,
  type BuiltinDataset,
  type TaskAggregation,
  type TaskCohort,
  type TaskData,
  type TaskManifest,
  type TaskMode,
  type TaskModel,
  type TaskStopping,
  type TaskTiming,
} from './manifest.ts';
export { checkTaskModelFile } from './model-file.ts';
export { checkOptIn, type OptIn, type OptInDecision } from './opt-in.ts';
export {
  SIGNED_TASK_FORMAT,
  TaskSignatureError,
  canonicalTaskBytes,
  readSignedTask,
  signTask,
  taskHash,
  verifySignedTask,
  type TaskSignatureProblem,
  type VerifiedTask,
} from './signing.ts';
