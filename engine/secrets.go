package engine

import (
	"fmt"
	"os"
	"regexp"
)

// Secrets are variables of isobench's own environment (HF_TOKEN, a private index's password)
// that a target declares its commands need: `secrets = ["HF_TOKEN"]`. Only declared ones
// reach a command; their values never enter a key, an event, a record or a log, since
// every occurrence in a command's captured output is masked (Command.Mask). Names may enter
// nothing either: a build that declares one more secret is the same work.

// secretName is what an environment variable's name may be.
var secretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckSecretNames returns an error for the first name that cannot be a variable's.
func CheckSecretNames(names []string) error {
	for _, n := range names {
		if !secretName.MatchString(n) {
			return fmt.Errorf("%q is not the name of an environment variable", n)
		}
	}
	return nil
}

// SecretVars reads the declared secrets from isobench's environment: the variables to give
// a command, the values to mask in its output, and the names that are not set (a command
// then runs without them; the caller may say so in its log).
func SecretVars(names []string) (vars map[string]string, mask []string, unset []string) {
	vars = map[string]string{}
	for _, n := range names {
		v, ok := os.LookupEnv(n)
		if !ok {
			unset = append(unset, n)
			continue
		}
		vars[n] = v
		mask = append(mask, v)
	}
	return vars, mask, unset
}
