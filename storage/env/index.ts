// The storage environment in one import: the file-system interface and its real, in-memory and
// fault-injecting implementations, the clocks, seeded randomness, and the storage error types.
export * from './errors.js';
export * from './file-system.js';
export * from './clock.js';
export * from './random.js';
export * from './real-file-system.js';
export * from './memory-file-system.js';
export * from './faulty-file-system.js';
