// What this start of the command line got as far as, for bin/dcmget.js: it labels the code cache
// it makes at exit with it. V8's cache made after a run holds the functions that run called, so
// one made after a retrieve that stored an instance holds a retrieve's whole path, and is
// preferred to one made by --help or --echo, or by a retrieve that never reached its PACS, which
// would leave every later retrieve to compile the rest at its start.
export const codeCacheHint = { storedAnInstance: false };
