package environment

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/isobench/isobench/engine"
)

// An environment's keys hold what this machine has besides the config: the interpreter
// found for the python requests (its version, implementation and platform) and the installer
// chosen for it (its version). Both are machine facts (engine.Work.Machine): a build answered
// from its record finds them again with the same probes the full path runs, and goes down the
// full path when either differs. Nothing cheaper is certain: which interpreter a request finds
// depends on PATH, pyenv's versions and shims (which pick a version from the directory and the
// environment at each start) and uv's interpreters, and pip's version on the interpreter's
// site-packages.

const (
	factPython    = "environment.python "    // + the requests, as JSON
	factInstaller = "environment.installer " // + the installer setting and the requests, as JSON
)

func pythonFactName(requests []string) string {
	b, _ := json.Marshal(requests)
	return factPython + string(b)
}

func installerFactName(forced InstallerName, requests []string) string {
	b, _ := json.Marshal(append([]string{string(forced)}, requests...))
	return factInstaller + string(b)
}

// pythonFact is what the keys hold of an interpreter: everything its probe said.
func pythonFact(py *pythonInfo) string {
	b, _ := json.Marshal(py)
	return string(b)
}

func installerFact(inst *installer) string {
	return fmt.Sprintf("%s %s %s seeded=%v", inst.Name, inst.Version, inst.Exe, inst.Seeded)
}

// machineFacts are the facts the keys of work prepared with py and, when set, inst hold.
func machineFacts(requests []string, py *pythonInfo, forced InstallerName, inst *installer) map[string]string {
	facts := map[string]string{pythonFactName(requests): pythonFact(py)}
	if inst != nil {
		facts[installerFactName(forced, requests)] = installerFact(inst)
	}
	return facts
}

var _ engine.MachineProber = Kind{}

// MachineFact implements engine.MachineProber: it finds the interpreter (and the installer)
// again as Prepare does, but never installs one. A request that finds nothing now answers
// what it could not find, which no recorded fact equals.
func (Kind) MachineFact(name string) (string, bool) {
	ctx := context.Background()
	var args []string
	switch {
	case strings.HasPrefix(name, factPython):
		if json.Unmarshal([]byte(name[len(factPython):]), &args) != nil {
			return "", false
		}
		py, err := findPython(ctx, args)
		if err != nil {
			return "missing: " + err.Error(), true
		}
		return pythonFact(py), true
	case strings.HasPrefix(name, factInstaller):
		if json.Unmarshal([]byte(name[len(factInstaller):]), &args) != nil || len(args) == 0 {
			return "", false
		}
		py, err := findPython(ctx, args[1:])
		if err != nil {
			return "missing: " + err.Error(), true
		}
		inst, err := chooseInstaller(ctx, InstallerName(args[0]), py)
		if err != nil {
			return "missing: " + err.Error(), true
		}
		return installerFact(inst), true
	}
	return "", false
}
