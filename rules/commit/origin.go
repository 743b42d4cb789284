package commit

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/rules/gitrepo"
)

// origin says where a revision the repository lacks was written, so that a user with many
// commits declared through for_each over a CSV finds the row to fix: the attribute in
// BUILD.hcl, the for_each key, and the line of a CSV file of the package that holds the
// revision, if one does. It returns "" when it knows nothing more than the message says.
func (c *Config) origin(root, msg string) string {
	var parts []string
	for _, rv := range []struct {
		name, rev string
		at        hcl.Range
	}{{"head", c.Head, c.Origin.HeadAt}, {"base", c.Base, c.Origin.BaseAt}} {
		if rv.rev == "" || !mentions(msg, rv.rev) {
			continue
		}
		where := fmt.Sprintf("The %s %q is written at %s:%d", rv.name, rv.rev, rv.at.Filename, rv.at.Start.Line)
		if c.Origin.ForEachKey != "" {
			where += fmt.Sprintf(" (for_each key %q)", c.Origin.ForEachKey)
		}
		if row := csvRow(filepath.Join(root, filepath.FromSlash(c.Origin.Pkg)), rv.rev); row != "" {
			where += ", from " + path.Join(c.Origin.Pkg, row)
		}
		parts = append(parts, where+".")
	}
	return strings.Join(parts, " ")
}

// mentions reports whether an error message names rev as gitrepo writes it (short for a SHA).
func mentions(msg, rev string) bool {
	if gitrepo.IsFullSHA(rev) {
		return strings.Contains(msg, gitrepo.Short(rev))
	}
	return strings.Contains(msg, rev)
}

// csvRow finds the first line of a CSV file in dir that holds rev as a field, and returns it
// as "file row N" (the header is row 1, as a spreadsheet numbers it).
func csvRow(dir, rev string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for n := 1; sc.Scan(); n++ {
			for _, field := range strings.Split(sc.Text(), ",") {
				if strings.EqualFold(strings.Trim(strings.TrimSpace(field), `"`), rev) {
					f.Close()
					return fmt.Sprintf("%s row %d", filepath.Base(name), n)
				}
			}
		}
		f.Close()
	}
	return ""
}
