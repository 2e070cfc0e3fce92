/**
 * Not a test: measures bulk throughput over one PSK-protected connection, ours vs @libp2p/pnet,
 * alternating in one run (fresh host pair each time, no echo phase so pnet survives):
 *
 *     node_modules/.bin/node test/host/psk-throughput.ts [MiB each way = 16] [repeats = 3]
 */
import { generateKeyPair } from '@libp2p/crypto/keys';
import { preSharedKey } from '@libp2p/pnet';
import { createLibp2p } from 'libp2p';
import { hostConfig, type Host } from '../../node/host/host.ts';
import { pskProtector } from '../../node/host/psk-protector.ts';
import { generateSwarmKey, swarmKeyForPnet, type SwarmKey } from '../../node/host/swarm-key.ts';
import { bulkExchange } from './bulk-transfer.ts';

type Which = 'ours' | 'pnet';
const mib = Number(process.argv[2] ?? '16');
const repeats = Number(process.argv[3] ?? '3');

async function startHost(which: Which, swarmKey: SwarmKey): Promise<Host> {
  const config = await hostConfig({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
  const connectionProtector = which === 'pnet' ? preSharedKey({ psk: swarmKeyForPnet(swarmKey) }) : pskProtector({ swarmKey });
  return createLibp2p({ ...config, connectionProtector });
}

async function measure(which: Which): Promise<number> {
  const swarmKey = generateSwarmKey();
  const a = await startHost(which, swarmKey);
  const b = await startHost(which, swarmKey);
  try {
    await a.dial(b.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) });
    const bulk = await bulkExchange(a, b, mib * 1024 * 1024, AbortSignal.timeout(120_000));
    if (bulk.dialer.sentSha256 !== bulk.listener.receivedSha256 || bulk.listener.sentSha256 !== bulk.dialer.receivedSha256) {
      throw new Error(`${which}: bytes differ`);
    }
    return (2 * mib * 1024 * 1024) / 1e6 / (bulk.milliseconds / 1000);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

const rates: Record<Which, number[]> = { ours: [], pnet: [] };
await measure('ours'); // warm-up (JIT), not counted
for (let i = 0; i < repeats; i++) {
  for (const which of i % 2 === 0 ? (['ours', 'pnet'] as const) : (['pnet', 'ours'] as const)) rates[which].push(await measure(which));
}
const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
for (const which of ['ours', 'pnet'] as const) {
  console.log(`${which}: ${rates[which].map((rate) => rate.toFixed(1)).join(', ')} MB/s (median ${median(rates[which]).toFixed(1)})`);
}
console.log(`ours / pnet = ${(median(rates.ours) / median(rates.pnet)).toFixed(2)} (${mib} MiB each way, both directions at once)`);
