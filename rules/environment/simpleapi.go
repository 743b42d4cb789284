package environment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"
)

// The preflight reads a package index through the "simple" repository API that pip and uv
// use: one page per project, listing its files. Indexes answer in HTML (PEP 503, which is
// what vLLM's per-commit wheel server serves) or JSON (PEP 691, which PyPI prefers); both give
// each file's name, URL, sha256 (in the URL fragment or a hashes field), the Python versions
// it supports and whether it was yanked.

// indexFile is one file listed on a project page.
type indexFile struct {
	Filename       string
	URL            string // absolute, without fragment
	SHA256         string // lower-case hex, "" when the index gives none
	RequiresPython string
	Yanked         bool
	UploadTime     time.Time // PEP 700; zero when the index does not say
}

// indexError is a failure to read an index that says nothing about the package: a network
// error, a timeout, a 5xx or 429 answer. It is transient.
type indexError struct{ msg string }

func (e *indexError) Error() string { return e.msg }

// Timeouts of one page request. Project pages are small (PyPI's largest, for packages with
// thousands of files, are a few MB); a minute covers a slow mirror.
const (
	pageTimeout  = 60 * time.Second
	maxPageBytes = 64 << 20
)

var httpClient = &http.Client{Timeout: pageTimeout}

// acceptSimple asks for JSON first and takes HTML, as pip does.
const acceptSimple = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

// projectURL is the page of a project on an index.
func projectURL(index, name string) string {
	return strings.TrimRight(index, "/") + "/" + normalizeName(name) + "/"
}

// fetchProject reads a project's page. found is false when the index does not have the
// project (404, 410, or 403, which is how S3-backed wheel servers answer for a key that does
// not exist).
func fetchProject(ctx context.Context, index, name string) (files []indexFile, found bool, err error) {
	page := projectURL(index, name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
	if err != nil {
		return nil, false, fmt.Errorf("the index URL %q is not valid: %w", index, err)
	}
	req.Header.Set("Accept", acceptSimple)
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, false, &indexError{fmt.Sprintf("cannot reach %s: %s", page, errorText(err))}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone || resp.StatusCode == http.StatusForbidden:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil, false, nil
	case resp.StatusCode != http.StatusOK:
		return nil, false, &indexError{fmt.Sprintf("%s answered %s", page, resp.Status)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
	if err != nil {
		return nil, false, &indexError{fmt.Sprintf("reading %s: %s", page, errorText(err))}
	}
	base := resp.Request.URL // after redirects: relative links are relative to it
	ctype := resp.Header.Get("Content-Type")
	if strings.Contains(ctype, "json") {
		files, err = parseJSONPage(body, base)
	} else {
		files, err = parseHTMLPage(body, base)
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", page, err)
	}
	return files, true, nil
}

func errorText(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return err.Error()
}

// parseJSONPage reads a PEP 691 project page.
func parseJSONPage(body []byte, base *url.URL) ([]indexFile, error) {
	var page struct {
		Files []struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython *string           `json:"requires-python"`
			Yanked         json.RawMessage   `json:"yanked"`
			UploadTime     string            `json:"upload-time"`
		} `json:"files"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("the JSON project page cannot be read: %w", err)
	}
	var files []indexFile
	for _, f := range page.Files {
		u, err := base.Parse(f.URL)
		if err != nil {
			continue
		}
		file := indexFile{Filename: f.Filename, SHA256: strings.ToLower(f.Hashes["sha256"])}
		if file.SHA256 == "" {
			file.SHA256 = fragmentHash(u)
		}
		u.Fragment, u.RawFragment = "", ""
		file.URL = u.String()
		if f.RequiresPython != nil {
			file.RequiresPython = *f.RequiresPython
		}
		// "yanked" is false, true, or a string giving the reason.
		y := strings.TrimSpace(string(f.Yanked))
		file.Yanked = y != "" && y != "false" && y != "null"
		file.UploadTime = uploadTime(f.UploadTime)
		files = append(files, file)
	}
	return files, nil
}

// anchorPattern finds the links of a PEP 503 page: they are plain <a> elements, one per file.
var (
	anchorPattern = regexp.MustCompile(`(?is)<a\s([^>]*)>(.*?)</a\s*>`)
	attrPattern   = regexp.MustCompile(`(?is)([a-z0-9_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
)

// parseHTMLPage reads a PEP 503 project page.
func parseHTMLPage(body []byte, base *url.URL) ([]indexFile, error) {
	var files []indexFile
	for _, m := range anchorPattern.FindAllSubmatch(body, -1) {
		attrs := map[string]string{}
		present := map[string]bool{}
		for _, a := range attrPattern.FindAllSubmatch(m[1], -1) {
			name := strings.ToLower(string(a[1]))
			present[name] = true
			attrs[name] = html.UnescapeString(string(a[2]) + string(a[3]) + string(a[4]))
		}
		href, ok := attrs["href"]
		if !ok {
			continue
		}
		u, err := base.Parse(href)
		if err != nil {
			continue
		}
		file := indexFile{SHA256: fragmentHash(u), RequiresPython: attrs["data-requires-python"], Yanked: present["data-yanked"],
			UploadTime: uploadTime(attrs["data-upload-time"])}
		u.Fragment, u.RawFragment = "", ""
		file.URL = u.String()
		// PEP 503: the link text is the file name, the last path segment of the URL. Trust the
		// URL, which is what the installer downloads, unless it names no file.
		file.Filename = path.Base(u.Path)
		if text := strings.TrimSpace(html.UnescapeString(string(m[2]))); !isDistFile(file.Filename) && isDistFile(text) {
			file.Filename = text
		}
		files = append(files, file)
	}
	return files, nil
}

// uploadTime reads PEP 700's upload-time ("2024-11-28T10:39:56.123456Z"); zero when absent
// or malformed.
func uploadTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// fragmentHash reads "#sha256=<hex>" from a file URL.
func fragmentHash(u *url.URL) string {
	if algo, sum, ok := strings.Cut(u.Fragment, "="); ok && strings.EqualFold(algo, "sha256") {
		return strings.ToLower(sum)
	}
	return ""
}

func isDistFile(name string) bool {
	return strings.HasSuffix(name, ".whl") || strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".zip")
}
