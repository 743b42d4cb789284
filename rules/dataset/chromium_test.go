package dataset

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromiumFlags run a headless browser that talks to nothing: no sandbox (tests run as
// root in containers), no GPU, no network services of its own.
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
	"--force-device-scale-factor=1", "--window-size=1000,1400", "--enable-logging=stderr", "--v=0"}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

type chromiumResult struct {
	stdout, stderr string
	err            error
}

// chromiumRun runs the browser once on url. It is safe to call from another goroutine.
func chromiumRun(t *testing.T, bin, url string, args ...string) chromiumResult {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	all := append(append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir()), args...)
	cmd := exec.CommandContext(ctx, bin, append(all, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	res := chromiumResult{}
	if err := cmd.Run(); err != nil {
		res.err = fmt.Errorf("chromium %s failed: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	res.stdout, res.stderr = stdout.String(), stderr.String()
	return res
}

// chromium runs the browser once on url and returns its stdout and stderr.
func chromium(t *testing.T, bin, url string, args ...string) (string, string) {
	t.Helper()
	res := chromiumRun(t, bin, url, args...)
	if res.err != nil {
		t.Fatal(res.err)
	}
	return res.stdout, res.stderr
}

// TestReportInChromium opens the report in a real headless browser: the page must load
// without a script or console error, the script must find every speedup mark laid out, and
// a screenshot must show the marks' colours inside the plot's box.
func TestReportInChromium(t *testing.T) {
	bin := findChromium()
	if bin == "" {
		t.Skip("chromium is not installed, so the report is not checked in a browser; install it with `apt-get install -y chromium`")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte(render(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + path

	// The two runs are independent: take the screenshot while the DOM is dumped.
	shot := filepath.Join(dir, "report.png")
	shotDone := make(chan error, 1)
	go func() { shotDone <- chromiumRun(t, bin, url, "--screenshot="+shot).err }()
	dom, logs := chromium(t, bin, url, "--dump-dom")
	if err := <-shotDone; err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") {
			t.Errorf("the browser reported: %s", line)
		}
	}
	if m := regexp.MustCompile(`data-errors="([^"]*)"`).FindStringSubmatch(dom); m != nil {
		t.Errorf("the page's script saw errors: %s", m[1])
	}
	if !strings.Contains(dom, `data-plot="drawn 3 of 3"`) {
		t.Fatalf("the plot was not laid out: the root element says %q", regexp.MustCompile(`<html[^>]*>`).FindString(dom))
	}
	m := regexp.MustCompile(`data-plot-rect="(\d+) (\d+) (\d+) (\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("the page did not report where the plot is")
	}
	var box image.Rectangle
	fmt.Sscan(m[1]+" "+m[2]+" "+m[3]+" "+m[4], &box.Min.X, &box.Min.Y, &box.Max.X, &box.Max.Y)
	box.Max = box.Max.Add(box.Min)

	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if !box.In(img.Bounds()) {
		t.Fatalf("the plot at %v lies outside the %v screenshot", box, img.Bounds())
	}
	// On a phone's width the page lays out without sideways scrolling: wide tables scroll in
	// their own box, plots and cards fit.
	narrow, _ := chromium(t, bin, url, "--dump-dom", "--window-size=400,1400")
	if m := regexp.MustCompile(`data-width="(\d+) (\d+)"`).FindStringSubmatch(narrow); m == nil || m[1] != m[2] {
		t.Errorf("at 400 px the page is wider than the window (scroll width, window width): %v", m)
	}
	for verdict, color := range verdictColors {
		if verdict == "unchanged" {
			continue // no record in the sample is unchanged
		}
		if n := countColor(img, box, color); n < 40 {
			t.Errorf("the plot shows %d pixels of %s (%s), want a drawn mark and whisker", n, verdict, color)
		}
	}
}

// countColor counts the pixels in box within a small distance of the colour #rrggbb.
func countColor(img image.Image, box image.Rectangle, hex string) int {
	var want [3]int
	fmt.Sscanf(hex, "#%02x%02x%02x", &want[0], &want[1], &want[2])
	n := 0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			got := [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
			close := true
			for i := range got {
				if d := got[i] - want[i]; d < -12 || d > 12 {
					close = false
				}
			}
			if close {
				n++
			}
		}
	}
	return n
}
