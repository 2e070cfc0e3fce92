#!/usr/bin/env node
// Plain JavaScript on purpose: it must run on any Node to say which Node gossipfl needs.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(
    `gossipfl needs Node.js >= 22 (this is ${process.version}); run it through npm (npm start, npx gossipfl), which uses the Node 22 installed with the project, or install Node 22.\n`,
  );
  process.exit(1);
}
const { main } = await import('../node/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
