// Plain JavaScript on purpose: loaded by the launcher before anything needs Node 22.
export const REQUIRED_NODE_MAJOR = 22;

/** The one-line message for a Node too old to run gossipfl, or undefined when it is new enough. */
export function nodeTooOld(version) {
  const major = Number(String(version).replace(/^v/, '').split('.')[0]);
  if (major >= REQUIRED_NODE_MAJOR) return undefined;
  return `gossipfl needs Node.js >= ${REQUIRED_NODE_MAJOR} (this is ${version}); run it through npm (npm start, npx gossipfl), which uses the Node ${REQUIRED_NODE_MAJOR} installed with the project, or install Node ${REQUIRED_NODE_MAJOR}.`;
}
