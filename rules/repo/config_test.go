package repo_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/isobench/isobench/engine"
	"github.com/isobench/isobench/rules/repo"
	"github.com/isobench/isobench/rules/ruletest"
)

// TestConfigDiagnostics checks that each url a repo refuses is refused when the workspace is
// loaded, once, at the place it was written.
func TestConfigDiagnostics(t *testing.T) {
	for _, c := range []struct {
		name, url string
		want      string
	}{
		{"empty", `""`, "The url of a repo cannot be empty"},
		{"spaces only", `"   "`, "The url of a repo cannot be empty"},
		{"dash", `"--upload-pack=touch /tmp/x"`, "starts with a dash, which git would read as an option; write ./--upload-pack=touch /tmp/x"},
		{"control character", `"../x\ty"`, "contains a control character"},
		{"spaces around", `" ../x "`, "starts or ends with spaces"},
	} {
		t.Run(c.name, func(t *testing.T) {
			diags := ruletest.New(t, map[string]string{"repos/BUILD.hcl": "\nrepo \"r\" {\n  url = " + c.url + "\n}\n"}, repo.New()).Diagnostics()
			if len(diags) != 1 {
				t.Fatalf("%d diagnostics, want 1: %v", len(diags), diags)
			}
			d := diags[0]
			if d.Severity != hcl.DiagError || d.Summary != "Invalid repository url" || !strings.Contains(d.Detail, c.want) {
				t.Errorf("diagnostic %q: %q (severity %v), want an error saying %q", d.Summary, d.Detail, d.Severity, c.want)
			}
			if got := ruletest.Position(d.Subject); got != "repos/BUILD.hcl:3:9" {
				t.Errorf("diagnostic at %s, want repos/BUILD.hcl:3:9", got)
			}
		})
	}
}

// TestConfigDecode checks the typed config of a repo: the url as written and the package it
// is relative to.
func TestConfigDecode(t *testing.T) {
	ws, _ := ruletest.New(t, map[string]string{"repos/BUILD.hcl": "repo \"r\" {\n  url = \"../upstream/\"\n}\n"}, repo.New()).Load()
	got := ws.Targets[engine.Label{Pkg: "repos", Name: "r"}].Config.(*repo.Config)
	if want := (repo.Config{URL: "../upstream/", Pkg: "repos"}); *got != want {
		t.Errorf("config %+v, want %+v", *got, want)
	}
}
