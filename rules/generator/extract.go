package generator

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/isobench/isobench/engine"
)

// fence matches a complete Markdown code block: an opening ``` with an optional language, the
// code, and a closing ``` on a line of its own.
var fence = regexp.MustCompile("(?ms)^[ \t]*```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$")

// openFence matches an opening ``` line that nothing closes (an answer cut off mid-block).
var openFence = regexp.MustCompile("(?m)^[ \t]*```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n")

// thinkBlock matches the reasoning that some local models (Qwen3, DeepSeek-R1) print before
// their answer when the server runs no reasoning parser.
var thinkBlock = regexp.MustCompile(`(?s)^\s*<think>.*?</think>`)

// extractCode finds the Python script in a model's answer. When the answer holds fenced
// blocks, the longest block marked python (or py, python3) is the script, or the longest
// unmarked block when none is marked; blocks in other languages (a shell command to run it)
// are never taken, so an answer with only those has no code. An answer without a complete
// block is taken whole, from an unclosed opening fence if it has one: the prompt asked for
// code only.
// The result has no leading or trailing blank lines and ends with one newline.
func extractCode(answer string) string {
	answer = thinkBlock.ReplaceAllString(answer, "")
	blocks := fence.FindAllStringSubmatch(answer, -1)
	var marked, unmarked []string
	for _, m := range blocks {
		switch strings.ToLower(m[1]) {
		case "python", "py", "python3":
			marked = append(marked, m[2])
		case "":
			unmarked = append(unmarked, m[2])
		}
	}
	code := longest(marked)
	if code == "" {
		code = longest(unmarked)
	}
	if len(blocks) == 0 {
		code = answer
		if loc := openFence.FindStringSubmatchIndex(answer); loc != nil {
			code = answer[loc[1]:]
		}
	}
	return tidy(code)
}

func longest(blocks []string) string {
	best := ""
	for _, b := range blocks {
		if len(strings.TrimSpace(b)) > len(strings.TrimSpace(best)) {
			best = b
		}
	}
	return best
}

// tidy drops blank lines around the code and trailing spaces, so that the same script
// answered with different surrounding whitespace has the same digest.
func tidy(code string) string {
	lines := strings.Split(strings.ReplaceAll(code, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// syntaxCheck parses the script with the machine's Python and prints where it does not
// parse. It parses only (ast.parse), so generated code is never executed here.
const syntaxCheck = `import ast, sys
src = sys.stdin.read()
try:
    ast.parse(src, "<generated>")
except SyntaxError as e:
    print(f"line {e.lineno}: {e.msg}")
    sys.exit(3)
except ValueError as e:
    print(e)
    sys.exit(3)
`

// interpreter is the machine's python3 resolved to the executable behind it. Version
// managers put a shell script named python3 on PATH (a pyenv shim) that takes a second or more
// to start under load, against a tenth of that for Python itself; resolving it once per
// process keeps checking a batch of scripts quick.
var interpreter struct {
	mu   sync.Mutex
	path string
}

func pythonPath(ctx context.Context, dir string) (string, error) {
	interpreter.mu.Lock()
	defer interpreter.mu.Unlock()
	if interpreter.path != "" {
		return interpreter.path, nil
	}
	res, err := engine.RunCommand(ctx, engine.Command{
		Path: "python3", Args: []string{"-c", "import sys; print(sys.executable)"},
		Dir: dir, Env: engine.MinimalEnv(dir, nil), Timeout: time.Minute, MaxOutput: 4096,
	})
	if err != nil {
		return "", fmt.Errorf("python3 could not be started to check the script's syntax: %w", err)
	}
	if res.ExitCode != 0 {
		return "", fmt.Errorf("python3 failed to start (exit %d): %s", res.ExitCode, strings.TrimSpace(string(res.Output())))
	}
	interpreter.path = strings.TrimSpace(string(res.Stdout))
	if interpreter.path == "" { // an embedded Python that does not know its executable
		interpreter.path = "python3"
	}
	return interpreter.path, nil
}

// checkSyntax returns "" when code parses, else why it does not ("line 3: invalid syntax").
// The error is set when Python itself could not run: that says nothing about the answer.
func checkSyntax(ctx context.Context, code, dir string) (string, error) {
	python, err := pythonPath(ctx, dir)
	if err != nil {
		return "", err
	}
	// -I: ignore the user's environment and site directory; -S: skip `site`, which ast
	// does not need, to start faster.
	res, err := engine.RunCommand(ctx, engine.Command{
		Path:      python,
		Args:      []string{"-I", "-S", "-c", syntaxCheck},
		Dir:       dir,
		Env:       engine.MinimalEnv(dir, nil),
		Stdin:     strings.NewReader(code),
		Timeout:   time.Minute,
		MaxOutput: 4096,
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("python3 could not be started to check the script's syntax: %w", err)
	case res.ExitCode == 0:
		return "", nil
	case res.ExitCode == 3:
		return strings.TrimSpace(string(res.Stdout)), nil
	}
	return "", fmt.Errorf("python3 failed while checking the script's syntax (exit %d): %s", res.ExitCode, strings.TrimSpace(string(res.Output())))
}
