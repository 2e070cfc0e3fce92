/**
 * Run as a child process by psk-bulk.test.ts (and by hand):
 *
 *     node_modules/.bin/node test/host/psk-traffic-child.ts <ours|pnet> <MiB each way> <echo rounds>
 *
 * Two hosts with the given PSK protector, one connection: a bulk exchange both ways, then small
 * echo round trips. Prints one JSON line and exits 0 when all bytes arrived intact; with
 * @libp2p/pnet the process is expected to die of an uncaught
 * `RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded` instead.
 */
import { generateKeyPair } from '@libp2p/crypto/keys';
import { preSharedKey } from '@libp2p/pnet';
import { createLibp2p } from 'libp2p';
import { hostConfig, type Host } from '../../node/host/host.ts';
import { pskProtector } from '../../node/host/psk-protector.ts';
import { generateSwarmKey, swarmKeyForPnet, type SwarmKey } from '../../node/host/swarm-key.ts';
import { bulkExchange, echoRounds } from './bulk-transfer.ts';

const [which = 'ours', mibText = '8', roundsText = '2000'] = process.argv.slice(2);
if (which !== 'ours' && which !== 'pnet') throw new Error(`first argument must be ours or pnet, got ${which}`);

async function startHost(swarmKey: SwarmKey): Promise<Host> {
  const config = await hostConfig({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
  const connectionProtector = which === 'pnet' ? preSharedKey({ psk: swarmKeyForPnet(swarmKey) }) : pskProtector({ swarmKey });
  return createLibp2p({ ...config, connectionProtector });
}

const swarmKey = generateSwarmKey();
const a = await startHost(swarmKey);
const b = await startHost(swarmKey);
try {
  await a.dial(b.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) });
  const bulk = await bulkExchange(a, b, Number(mibText) * 1024 * 1024, AbortSignal.timeout(240_000));
  const intact = bulk.dialer.sentSha256 === bulk.listener.receivedSha256 && bulk.listener.sentSha256 === bulk.dialer.receivedSha256;
  const rounds = await echoRounds(a, b, Number(roundsText), AbortSignal.timeout(120_000));
  const megabytesPerSecond = (bulk.dialer.sentBytes + bulk.listener.sentBytes) / 1e6 / (bulk.milliseconds / 1000);
  console.log(JSON.stringify({ protector: which, intact, rounds, bulkMs: Math.round(bulk.milliseconds), megabytesPerSecond }));
  process.exitCode = intact ? 0 : 3;
} finally {
  await Promise.all([a.stop(), b.stop()]);
}
