/**
 * The `gossipfl` command: dispatches to subcommands, prints --help, and turns every
 * failure into a clear message and a non-zero exit code.
 */
import { GossipflError } from '../errors.ts';
import { backendCommand } from './backend-command.ts';
import { CliError, USAGE_EXIT_CODE, wantsHelp, type Command } from './command.ts';
import { dataCommand } from './data-command.ts';
import { demoCommand } from './demo-command.ts';
import { simCommand } from './sim-command.ts';
import { evaluateCommand } from './evaluate-command.ts';
import { exportCommand } from './export-command.ts';
import { initCommand } from './init-command.ts';
import { startCommand } from './start-command.ts';
import { historyCommand } from './history-command.ts';
import { statusCommand } from './status-command.ts';
import { taskCommand } from './task-command.ts';

const COMMANDS: readonly Command[] = [
  initCommand, taskCommand, startCommand, statusCommand, historyCommand, exportCommand, evaluateCommand,
  demoCommand, simCommand, dataCommand, backendCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    'gossipfl — peer-to-peer federated learning with no permanent central server',
    '',
    'Usage: gossipfl <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run gossipfl <command> --help for the options of one command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${overview()}\n`);
    return name === undefined ? USAGE_EXIT_CODE : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    process.stderr.write(`gossipfl: unknown command "${name}"\n\n${overview()}\n`);
    return USAGE_EXIT_CODE;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`gossipfl: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof GossipflError) {
      process.stderr.write(`gossipfl ${name}: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`gossipfl ${name}: internal error — please report it with this trace:\n${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  }
}
