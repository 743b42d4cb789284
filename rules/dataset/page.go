package dataset

// pageTemplate is the whole page. Styles and the script are inline: the page must open from
// a file with no network. The script is optional for a reader (everything is visible
// without it); it opens a log's <details> when a link to it is followed, and records on the
// root element whether the plot was laid out (data-plot, data-plot-rect), how wide the page
// is laid out against the window (data-width), and any script error (data-errors), which
// the browser test reads.
const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="isobench {{.Version}}">
<title>{{.Title}} — isobench report</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0 auto; max-width: 1100px; padding: 0 16px 48px; }
h1 { font-size: 24px; margin: 24px 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 4px; }
nav a { margin-right: 12px; }
a { color: #06c; }
.meta { color: #666; }
table { border-collapse: collapse; }
.scroll { overflow-x: auto; max-width: 100%; }
td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
svg { display: block; width: 100%; max-width: 600px; height: auto; }
.plot { max-width: 600px; }
article { border: 1px solid #e3e3e3; border-left: 5px solid var(--c, #999); border-radius: 4px; padding: 10px 12px; margin: 12px 0; }
article:target { box-shadow: 0 0 0 3px #ffd54f; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; color: #fff; background: var(--c, #999); }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; margin: 6px 0; }
dt { color: #666; }
dd { margin: 0; overflow-wrap: anywhere; }
article { overflow-wrap: anywhere; }
@media (max-width: 560px) {
  body { padding: 0 8px 32px; }
  /* The hardware table has ten columns: on a phone each machine becomes a list of fields. */
  table.hardware tr:first-child { display: none; }
  table.hardware, table.hardware tbody, table.hardware tr, table.hardware td { display: block; border: 0; }
  table.hardware tr { border: 1px solid #ddd; margin: 6px 0; padding: 4px 0; }
  table.hardware td { text-align: left; padding: 1px 8px; }
  table.hardware td::before { content: attr(data-h) ": "; color: #666; }
  table.hardware td:empty { display: none; }
  dl { grid-template-columns: minmax(0, 1fr); }
  dt { margin-top: 4px; }
}
code { font-size: 12px; }
pre { background: #f7f7f7; border: 1px solid #eee; padding: 8px; overflow: auto; max-height: 480px; font-size: 12px; white-space: pre-wrap; word-break: break-all; }
details { margin: 6px 0; }
details:target { outline: 3px solid #ffd54f; }
summary { cursor: pointer; }
.failure { color: #b00020; }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="meta">{{.Total}} benchmarks{{if .Version}} · isobench {{.Version}}{{end}}{{if .BuildTime}} · results as of {{.BuildTime}}{{end}}</p>
<nav><a href="#summary">Summary</a><a href="#speedups">Speedups</a><a href="#hardware">Hardware</a><a href="#benchmarks">Benchmarks</a><a href="#logs">Logs</a></nav>
</header>

<section id="summary">
<h2>Summary</h2>
<table>
<tr><th>outcome</th><th>benchmarks</th><th>by failure class</th></tr>
{{range .Summary}}<tr class="outcome-{{.Outcome}}"><td>{{.Outcome}}</td><td class="num">{{.Count}}</td><td>{{range $i, $c := .Classes}}{{if $i}}, {{end}}<code>{{$c.Class}}</code> {{$c.Count}}{{end}}</td></tr>
{{end}}</table>
</section>

<section id="speedups">
<h2>Speedups</h2>
<p class="meta">Speedup of head over base (above 1 is faster whatever the metric's direction), with its bootstrap confidence interval (95% unless the benchmark sets another level); logarithmic axis.</p>
{{if .HasRecords}}<div class="plot">{{.Plot}}</div>{{else}}<p>No records.</p>{{end}}
</section>

<section id="hardware">
<h2>Hardware</h2>
{{if .Hardware}}<div class="scroll"><table class="hardware">
<tr><th>class</th><th>GPU</th><th>GPUs</th><th>memory (MiB)</th><th>compute capability</th><th>driver</th><th>CUDA</th><th>CPU</th><th>CPUs</th><th>benchmarks</th></tr>
{{range .Hardware}}<tr><td data-h="class"><code>{{printf "%.12s" .H.Class}}</code></td><td data-h="GPU">{{deref .H.GPUName}}</td><td data-h="GPUs" class="num">{{.H.GPUCount}}</td><td data-h="memory (MiB)" class="num">{{derefInt .H.GPUMemMiB}}</td><td data-h="compute capability">{{deref .H.ComputeCap}}</td><td data-h="driver">{{deref .H.Driver}}</td><td data-h="CUDA">{{deref .H.CUDA}}</td><td data-h="CPU">{{.H.CPUModel}}</td><td data-h="CPUs" class="num">{{.H.CPUCount}}</td><td data-h="benchmarks" class="num">{{.Records}}</td></tr>
{{end}}</table></div>{{else}}<p>No measurement recorded its hardware.</p>{{end}}
</section>

<section id="benchmarks">
<h2>Benchmarks</h2>
{{range .Records}}<article id="{{.ID}}" style="--c: {{.Color}}">
<h3>{{.R.Benchmark}} <span class="badge">{{.Outcome}}</span></h3>
{{with .R.CommitSubject}}<div>{{.}}</div>{{end}}
<dl>
<dt>commits</dt><dd>{{if .BaseURL}}<a class="forge" href="{{.BaseURL}}"><code>{{.Base}}</code></a>{{else}}<code>{{.Base}}</code>{{end}} → {{if .HeadURL}}<a class="forge" href="{{.HeadURL}}"><code>{{.Head}}</code></a>{{else}}<code>{{.Head}}</code>{{end}}{{if .R.Commit}} ({{.R.Commit}}){{end}}</dd>
{{if .Speedup}}<dt>speedup</dt><dd>{{.Speedup}}{{with .Faster}} · <strong>{{.}}</strong>{{end}}</dd>{{end}}
{{with .Reason}}<dt>verdict</dt><dd>{{.}}</dd>{{end}}
{{if .Improvement}}<dt>improvement</dt><dd>{{.Improvement}} ({{deref .R.Metric}}{{with .R.Unit}}, {{.}}{{end}}, {{deref .R.Direction}} is better)</dd>{{end}}
{{if .PValue}}<dt>p-value</dt><dd>{{.PValue}}</dd>{{end}}
{{if .Variants}}<dt>variants</dt><dd><table class="variants"><tr><th>variant</th><th>over base</th><th>over head (human)</th><th>code by</th></tr>
{{range .Variants}}<tr><td><code>{{.Name}}</code></td>{{if .Failure}}<td colspan="2" class="failure"><code>{{.Failure}}</code>{{with .Message}}: {{.}}{{end}}</td>{{else}}<td>{{.Verdict}} {{.OverBase}}</td><td>{{.AgainstHuman}} {{.OverHead}}</td>{{end}}<td>{{.Method}}</td></tr>
{{if .ServerLogs}}<tr><td></td><td colspan="3">server logs: {{template "serverLogs" .ServerLogs}}</td></tr>
{{end}}{{end}}</table></dd>{{end}}
{{if .R.FailureClass}}<dt>{{if eq .R.Status "skipped"}}reason{{else}}failure{{end}}</dt><dd class="failure"><code>{{deref .R.FailureClass}}</code>{{with .R.FailureMessage}}: {{.}}{{end}}</dd>{{end}}
{{if .APIs}}<dt>affected APIs</dt><dd>{{range $i, $a := .APIs}}{{if $i}}, {{end}}<code>{{$a}}</code>{{end}}{{if .MoreAPIs}} <details class="more"><summary>and {{len .MoreAPIs}} more</summary>{{range $i, $a := .MoreAPIs}}{{if $i}}, {{end}}<code>{{$a}}</code>{{end}}</details>{{end}}</dd>{{end}}
{{with .R.GPUTelemetry}}<dt>GPU</dt><dd>SM clock {{.SMClockMinMHz}}–{{.SMClockMaxMHz}} MHz, up to {{.TemperatureMaxC}} °C, {{.ThrottledSamples}} throttled samples</dd>{{end}}
{{if .Logs}}<dt>logs</dt><dd>{{range $i, $l := .Logs}}{{if $i}} · {{end}}<a class="log-link" href="#{{$l.Anchor}}" title="{{$l.ID}}">{{$l.Kind}}</a>{{end}}</dd>{{end}}
{{if .ServerLogs}}<dt>server logs</dt><dd>{{template "serverLogs" .ServerLogs}}</dd>{{end}}
</dl>
{{range .Tests}}<details class="test"><summary>{{.Title}} ({{.Lines}} line{{if ne .Lines 1}}s{{end}})</summary><pre>{{.Text}}</pre></details>
{{end}}
{{.Dist}}
</article>
{{end}}</section>

<section id="logs">
<h2>Logs</h2>
{{range .Logs}}<details id="{{.Anchor}}">
<summary>{{.Title}} <span class="meta">(for {{range $i, $r := .Referrer}}{{if $i}}, {{end}}<a href="#{{$r.ID}}">{{$r.Benchmark}}</a>{{end}})</span></summary>
{{if .Missing}}<p class="meta">This log is not in the cache any more.</p>{{else}}{{if .Cut}}<p class="meta">The first {{.Cut}} bytes are left out.</p>{{end}}<pre>{{.Text}}</pre>{{end}}
</details>
{{else}}<p>No logs.</p>
{{end}}</section>

<script>
(function () {
  var root = document.documentElement, errors = [];
  window.addEventListener("error", function (e) {
    errors.push(String(e.message));
    root.setAttribute("data-errors", errors.join("; "));
  });
  function openTarget() {
    var el = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (el && el.tagName === "DETAILS") { el.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  document.addEventListener("DOMContentLoaded", function () {
    openTarget();
    var plot = document.getElementById("speedup-plot");
    var marks = plot ? plot.querySelectorAll(".mark") : [], drawn = 0;
    for (var i = 0; i < marks.length; i++) {
      var box = marks[i].getBBox();
      if (box.width > 0 && box.height > 0) { drawn++; }
    }
    root.setAttribute("data-plot", plot ? "drawn " + drawn + " of " + marks.length : "absent");
    root.setAttribute("data-width", document.documentElement.scrollWidth + " " + document.documentElement.clientWidth);
    if (plot) {
      var r = plot.getBoundingClientRect();
      root.setAttribute("data-plot-rect", [r.left + scrollX, r.top + scrollY, r.width, r.height].map(Math.round).join(" "));
    }
  });
})();
</script>
</body>
</html>
{{define "serverLogs"}}{{range $i, $l := .}}{{if $i}} · {{end}}<a class="server-log{{if $l.Failed}} failure{{end}}" href="{{$l.Href}}" title="{{$l.Title}}">{{$l.Label}}</a>{{end}} <span class="meta">(files in {{serverLogDir}}/ beside this page)</span>{{end}}`
