package environment

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/isobench/isobench/rules/artifact"
)

// vLLM's per-commit wheels come in three eras (README, "Wheels for every era"). Since
// December 2024 each commit has a PEP 503 page, https://wheels.vllm.ai/<sha>/vllm/, which
// the index lookup reads. From about v0.5.3 (July 2024) until then, CI uploaded only the
// wheel itself, under a name that does not carry its version
// (<sha>/vllm-1.0.0.dev-cp38-abi3-manylinux1_x86_64.whl); older commits have no wheel.
// wheel_url covers the middle era: when no index has a page for the project, each declared
// URL is asked with a HEAD request, so that a commit with neither is still no_wheel in about
// a second, before anything is downloaded.
//
// Such a file is resolved without a digest (HEAD gives none, and downloading hundreds of
// megabytes to learn one belongs to the install) and without a version (its name may lie).
// The installer checks nothing against the name: uv is told UV_SKIP_WHEEL_FILENAME_CHECK=1,
// and pip does not compare the version of a direct URL requirement with its file name. The
// version actually installed is what the environment records.

// headWheel finds the first of urls that exists and fits the interpreter. why says what was
// tried when none does; n counts requests.
func headWheel(ctx context.Context, log io.Writer, urls []string, r requirement, ranks tagRanks) (file *artifact.ResolvedFile, why string, n int64, err error) {
	var tried []string
	for _, raw := range urls {
		u, perr := url.Parse(raw)
		if perr != nil {
			return nil, "", n, fmt.Errorf("the wheel URL %q is not valid: %w", raw, perr)
		}
		name, _ := url.PathUnescape(path.Base(u.Path))
		w, perr := parseWheelName(name)
		switch {
		case perr != nil:
			return nil, "", n, perr
		case w.Name != r.Name:
			tried = append(tried, fmt.Sprintf("%s (a wheel of %s, not %s)", raw, w.Name, r.Name))
			continue
		case ranks.rank(w) < 0:
			tried = append(tried, fmt.Sprintf("%s (for another platform or Python)", raw))
			continue
		}
		var found bool
		tries, err := retryIndex(ctx, log, func() (err error) {
			found, err = headExists(ctx, raw)
			return err
		})
		n += tries
		if err != nil {
			return nil, "", n, err
		}
		if !found {
			fmt.Fprintf(log, "%s does not exist\n", raw)
			tried = append(tried, raw+" (not found)")
			continue
		}
		return &artifact.ResolvedFile{Package: r.Name, URL: raw, Direct: true}, "", n, nil
	}
	return nil, "no wheel at " + strings.Join(tried, ", "), n, nil
}

// headExists asks whether a file exists. S3-backed servers answer 403 for a key that does
// not exist, as they do for index pages (fetchProject).
func headExists(ctx context.Context, raw string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, raw, nil)
	if err != nil {
		return false, fmt.Errorf("the wheel URL %q is not valid: %w", raw, err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return false, &indexError{fmt.Sprintf("cannot reach %s: %s", raw, errorText(err))}
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		return true, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone || resp.StatusCode == http.StatusForbidden:
		return false, nil
	}
	return false, &indexError{fmt.Sprintf("%s answered %s", raw, resp.Status)}
}
