// Package cache stores what isobench has done, so that a rerun replays
// what is unchanged.
//
// A Store holds, in one Badger database:
//
//   - blobs by the SHA-256 of their content (cas.go): scripts, logs,
//     records, datasets;
//   - action entries by action key (actions.go): the result of one action,
//     naming its outputs by blob digest, with the key's description lines so
//     that `isobench why` can say which line changed;
//   - the entries an action key had before its current one (history.go);
//   - when each action key was last used (usage.go), for GC;
//   - manifests (manifest.go): small named records the engine writes after a
//     build, from which status and why explain staleness without executing;
//   - a generation token (generation.go), replaced whenever an entry or a
//     manifest is replaced or removed, so that a record of an earlier build
//     can tell that everything it names is still there.
//
// The cache knows nothing of labels, configuration or rules: an action key
// is a digest the engine computed, and an entry's status, class, kind and
// meta are opaque strings and JSON.
//
// # Invariants
//
//   - A blob's name is the digest of its bytes; Get checks it.
//   - PutEntry writes the new entry and moves the old one into history in
//     one transaction, synced to disk before it returns: a result survives
//     SIGKILL, and power loss, right after.
//   - GC removes a blob only when no remaining entry or history record names
//     it as an output or log.
//
// # Locking
//
// One process at a time may write a store. Open takes flock(2) on DIR/LOCK
// exclusively before it opens Badger in DIR/db, and writes its pid, Owner
// and start time into the file. A second opener gets a *LockedError that
// names them. The kernel releases a flock when its holder dies, even by
// kill -9, so a LOCK file left by a killed build is just a stale record,
// overwritten by the next writer.
//
// A read-only open (Options.ReadOnly, for status and why) takes the same
// lock shared and opens Badger read-only. What works:
//
//   - several readers at once; a writer that finds readers waits up to
//     five seconds for them, then is told the store is being read;
//   - reading a store whose writer was killed: Badger cannot read a killed
//     writer's log until it is trimmed, which only a read-write open does,
//     so the reader opens Badger for writing once to recover it. That, and
//     creating DIR/LOCK if it is missing, are the only writes a reader makes;
//   - reading a store that does not exist: an empty view, nothing created.
//
// What does not: reading while a build holds the store. Badger's read-only
// mode takes a shared flock on its directory that the writer's exclusive one
// excludes, and could not see the writer's unflushed memtable anyway; so the
// reader is turned away at once with a *LockedError naming the build, and
// copies nothing. The engine should say so and suggest running status after
// the build.
//
// # Env store
//
// DirStore (env_store.go) is a separate, plain-directory store for Python
// environments shared by all of a user's workspaces; see its comment for
// why it builds in place rather than renaming a temporary directory.
package cache
