/** The blob protocol `/gossipfl/blob/1.0.0`: content-addressed pulls of model versions and deltas. */
export { BLOB_PROTOCOL, MAX_CHUNK_BYTES, type BlobStatus } from './wire.ts';
export { serveBlobs, BlobServerStoppedError, BlobServeTimeoutError, type BlobLookup, type BlobServer, type BlobServerHost, type ServeBlobsOptions } from './server.ts';
export { fetchBlob, fetchFromHolders, type BlobClientHost, type FetchBlobOptions, type FetchFromHoldersOptions } from './client.ts';
export {
  BlobError,
  BlobNotFoundError,
  BlobTooLargeError,
  BlobHashMismatchError,
  BlobBusyError,
  BlobProtocolError,
  BlobFetchError,
  BlobAbortedError,
  BlobUnavailableError,
  type BlobAttempt,
} from './errors.ts';
export { blobPort, BlobPortError, type BlobPort, type BlobPortOptions } from './port.ts';
