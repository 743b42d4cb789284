// Package ruletest is the harness of the rule kinds' tests: a real workspace in a test's
// temporary directory, loaded, planned and built by the real engine against a real Badger
// store and a per-user cache of its own, and stand-ins for the kinds a kind's tests need but
// may not import.
//
// A kind never imports another kind, its tests included (layering_test.go), yet most kinds
// consume another's output: an environment is built for a commit, a dataset reads
// benchmarks. The stand-ins here keep the contract of the kind they replace (its name, its
// action's ID and mnemonic, its output under the same name and in the same artifact type)
// and do the real work where it is cheap: Commit reads a real Git repository through gitrepo,
// as the commit kind does, and Repo hands on its declaration as the repo kind does. A
// stand-in that only one package's tests need stays in that package.
//
// A test writes its BUILD files, then builds:
//
//	w := ruletest.New(t, map[string]string{
//		"commits/BUILD.hcl": `commit "c" { ... }`,
//		"envs/BUILD.hcl":    `environment "e" { ... }`,
//	}, environment.Kind{}, ruletest.Commit{})
//	b := w.Build("//envs:all")
//	if b.Summary.Failed != 0 { ... }
//
// Each build opens the store and closes it when it ends, as each isobench command does, so a
// second build replays the first and another process may use the store in between. Only
// test files import this package.
package ruletest
