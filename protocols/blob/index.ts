/** The blob protocol `/gossipfl/blob/1.0.0`: content-addressed pulls of model versions and deltas. */
export { BLOB_PROTOCOL, MAX_CHUNK_BYTES, type BlobStatus } from './wire.ts';
export { serveBlobs, BlobServerStoppedError, BlobServeTimeoutError, type BlobLookup, type BlobServer, type BlobServerHost, type ServeBlobsOptions } from './server.ts';
export { fetchBlob, type BlobClientHost, type FetchBlobOptions } from './client.ts';
export { fetchFromHolders, type FetchFromHoldersOptions } from './holders.ts';
export { DEFAULT_FIRST_BYTE_TIMEOUT_MS, DEFAULT_MIN_BYTES_PER_SECOND, perHolderDeadlineMs } from './limits.ts';
export {
  BlobError,
  BlobNotFoundError,
  BlobTooLargeError,
  BlobHashMismatchError,
  BlobBusyError,
  BlobProtocolError,
  BlobFetchError,
  BlobAbortedError,
  BlobSizeMismatchError,
  BlobStalledError,
  BlobDeadlineError,
  BlobUnavailableError,
  type BlobAttempt,
} from './errors.ts';
export { blobPort, BlobPortError, type BlobPort, type BlobPortOptions } from './port.ts';
