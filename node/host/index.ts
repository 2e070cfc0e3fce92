/** The libp2p host of one gossipfl peer: identity, private-network key, allow-list, node, waits. */
export { loadOrCreateIdentity, IdentityError, type Identity } from './identity.ts';
export {
  generateSwarmKey,
  formatSwarmKey,
  parseSwarmKey,
  readSwarmKey,
  writeSwarmKey,
  swarmKeyFingerprint,
  SwarmKeyError,
  type SwarmKey,
} from './swarm-key.ts';
export { allowListGater, parseAllowList, AllowListError } from './gater.ts';
export {
  createHost,
  hostConfig,
  HostConfigError,
  type Host,
  type HostOptions,
  type HostServices,
  type IpColocationPolicy,
  type MdnsOptions,
  type ConnectionLimits,
  type PubsubOverrides,
} from './host.ts';
export {
  waitUntil,
  canPublishTo,
  waitForSubscribers,
  waitForConnections,
  waitForPeer,
  waitForDisconnect,
  waitForMessage,
  WaitTimeoutError,
  type WaitOptions,
  type Listenable,
} from './wait.ts';
