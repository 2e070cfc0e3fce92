/**
 * `gossipfl task create|sign|verify`: validate a manifest, sign it with a data folder's
 * identity, verify a signed task.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { readIdentityStrict } from './store-read.ts';
import { readTaskManifest } from '../task/manifest.ts';
import { checkTaskModelFile } from '../task/model-file.ts';
import { readSignedTask, signTask, taskHash } from '../task/signing.ts';
import { CliError, parseOptions, USAGE_EXIT_CODE, type Command } from './command.ts';
import { DEFAULT_DATA_DIR, IDENTITY_FILE } from './peer-config.ts';

const HELP = [
  'Usage: gossipfl task create --from TASK.yaml [--out FILE] [--json]',
  '       gossipfl task sign TASK.yaml [--dir DIR] [--out SIGNED.yaml] [--json]',
  '       gossipfl task verify SIGNED.yaml [--json]',
  '',
  'create   validates a task manifest (every problem listed with its field path) and prints',
  '         its normalised form, every default filled in; --out writes it to a file instead.',
  '         A model.layers file must exist and fit the task\'s features and classes',
  'sign     signs a manifest with the identity key of the data folder DIR (default',
  `         ${DEFAULT_DATA_DIR}); prints the signed task, or writes it with --out. A relative`,
  '         model.layers path must lead to the model from the folder of the signed task',
  'verify   checks a signed task\'s signature and prints its id, signer and task hash',
  '',
  'Options:',
  '  --from FILE   the manifest to validate (create)',
  `  --dir DIR     the data folder whose ${IDENTITY_FILE} signs (sign)`,
  '  --out FILE    write the result to FILE (never replaces an existing file)',
  '  --json        create: the manifest as JSON; sign: a JSON envelope; verify: {id, signer, taskHash}',
].join('\n');

async function output(text: string, out: string | undefined): Promise<void> {
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    await writeFile(out, text, { flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EEXIST' ? `${out} already exists; it was left as it is (remove it or choose another --out)` : `cannot write ${out} (${code ?? (error as Error).message})`);
  }
  process.stderr.write(`wrote ${out}\n`);
}

function onePositional(action: string, positionals: string[], what: string): string {
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new CliError(`task ${action}: give exactly one ${what} (see gossipfl task --help)`, USAGE_EXIT_CODE);
  return file;
}

async function create(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('task create', args, { from: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, true);
  const from = values.from ?? positionals[0];
  if (from === undefined || positionals.length > (values.from === undefined ? 1 : 0)) throw new CliError('task create: give the manifest with --from TASK.yaml (see gossipfl task --help)', USAGE_EXIT_CODE);
  const manifest = await readTaskManifest(from);
  await checkTaskModelFile(manifest, from, from);
  const text = values.json === true ? `${JSON.stringify(manifest, null, 2)}\n` : `# task hash (unsigned) ${taskHash(manifest)}\n${stringify(manifest, { lineWidth: 0, version: '1.1' })}`;
  await output(text, values.out);
  return 0;
}

async function sign(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('task sign', args, { dir: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, true);
  const file = onePositional('sign', positionals, 'TASK.yaml manifest to sign');
  const manifest = await readTaskManifest(file);
  // `start` resolves a relative model.layers against the signed task's folder: check it there.
  await checkTaskModelFile(manifest, values.out ?? file, file);
  const identity = await readIdentityStrict(join(resolve(values.dir ?? DEFAULT_DATA_DIR), IDENTITY_FILE));
  const signed = await signTask(manifest, identity.privateKey, values.json === true ? 'json' : 'yaml');
  await output(signed, values.out);
  return 0;
}

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions('task verify', args, { json: { type: 'boolean' } }, true);
  const file = onePositional('verify', positionals, 'SIGNED.yaml signed task');
  const verified = await readSignedTask(file);
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ ok: true, id: verified.manifest.id, signer: verified.signer, taskHash: verified.taskHash }, null, 2)}\n`);
  } else {
    process.stdout.write(`valid signed task\nid        ${verified.manifest.id}\nsigner    ${verified.signer}\ntaskHash  ${verified.taskHash}\n`);
  }
  return 0;
}

export const taskCommand: Command = {
  name: 'task',
  summary: 'validate, sign and verify task manifests',
  help: HELP,
  async run(args) {
    const [action, ...rest] = args;
    switch (action) {
      case 'create':
        return create(rest);
      case 'sign':
        return sign(rest);
      case 'verify':
        return verify(rest);
      default:
        throw new CliError(`task: unknown action "${action ?? ''}"; the actions are create, sign, verify (see gossipfl task --help)`, USAGE_EXIT_CODE);
    }
  },
};
