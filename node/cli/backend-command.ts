import { describeBackend, parseBackendName, selectBackend, type BackendName } from '../learn/backend.ts';
import { parseOptions, type Command } from './command.ts';

export const backendCommand: Command = {
  name: 'backend',
  summary: 'show which TF.js backend this machine uses',
  help: [
    'Usage: gossipfl backend [--force NAME] [--json]',
    '',
    'Starts TF.js and reports the backend chosen: tensorflow (needs the optional',
    '@tensorflow/tfjs-node package), else wasm, else cpu.',
    '',
    'Options:',
    '  --force NAME  use this backend or fail (tensorflow, wasm, cpu); also GOSSIPFL_BACKEND',
    '  --json        print the result as JSON',
  ].join('\n'),
  async run(args) {
    const { values } = parseOptions('backend', args, { force: { type: 'string' }, json: { type: 'boolean' } });
    const force: BackendName | undefined = values.force === undefined ? undefined : parseBackendName(values.force, '--force');
    const info = await selectBackend(force === undefined ? {} : { force });
    process.stdout.write(values.json ? `${JSON.stringify(info)}\n` : `${describeBackend(info)}\n`);
    return 0;
  },
};
