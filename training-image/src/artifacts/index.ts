/** Model artifacts: the versioned, checksummed model directory. */
export * from './version';
export * from './modeldir';
