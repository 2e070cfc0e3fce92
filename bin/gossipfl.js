#!/usr/bin/env node
// Plain JavaScript on purpose: it must run on any Node to say which Node gossipfl needs.
import { nodeTooOld } from './node-version.js';

const tooOld = nodeTooOld(process.version);
if (tooOld !== undefined) {
  process.stderr.write(`${tooOld}\n`);
  process.exit(1);
}
const { main } = await import('../node/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
