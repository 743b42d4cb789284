package engine

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Limits on HCL input. A workspace's files are the user's own, but they may be generated,
// and a mistake in a generator (or a hostile file) must end in a diagnostic, never in a
// crash: HCL's parser and evaluator recurse once per level of nesting and once per operator
// of a chain such as 1+1+...+1, and Go's stack ends at 1 GB, with a fatal error no recover
// can catch (100,000 levels, or a chain of 500,000 terms, did it). So a file is checked,
// token by token with HCL's own lexer (a state machine, which never recurses), before it
// is parsed.
const (
	// MaxFileBytes bounds one HCL file. On this project's 2-core test machine, 2 MiB of
	// benchmark blocks took 1.2 to 2.3 s to parse and 0.7 to 1.3 s more to check here
	// (5 to 11 MB files took 10 to 22 s and 2 GB); a workspace that needs more targets than
	// that lists them in a CSV file and uses for_each, or splits them over packages.
	MaxFileBytes = 2 << 20
	// MaxNesting bounds how deeply blocks, brackets, parentheses, strings and template
	// interpolations nest. Hand-written HCL rarely passes ten levels.
	MaxNesting = 128
	// MaxOperators bounds the operators of one attribute's expression: each one is a level
	// of the expression tree that evaluation walks recursively.
	MaxOperators = 1000
	// MaxLineBytes bounds one line: a diagnostic quotes the line it points at, and a line
	// of megabytes would flood the terminal.
	MaxLineBytes = 64 << 10
	// MaxTemplateDepth bounds templatefile calls inside templates: a prompt may include a
	// shared preamble, and so on, but a template that includes itself must end in an error,
	// not in a stack that grows until Go ends the process.
	MaxTemplateDepth = 16
	// MaxReadBytes bounds a file that file() or templatefile() reads: a CSV of 100,000
	// targets for for_each is a few MB, and whatever is read is hashed into keys and held in
	// memory.
	MaxReadBytes = 64 << 20
)

// checkLimits returns a diagnostic, at the place where src, a BUILD.hcl or isobench.hcl
// file, first passes a limit, or nil.
func checkLimits(src []byte, filename string) *hcl.Diagnostic {
	if len(src) > MaxFileBytes {
		return tooLarge(filename, "File too large", fmt.Sprintf("%s has %d bytes; isobench reads HCL files of at most %d MiB. Split it into several BUILD.hcl files, or move data the targets share into a file they read.",
			filename, len(src), MaxFileBytes>>20))
	}
	tokens, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos) // the parser reports bad tokens
	return checkTokens(tokens, src, filename, false)
}

// checkTemplateLimits is checkLimits for a file templatefile renders: the same limits, read
// with the lexer of templates, where each ${...} and %{...} is an expression of its own.
func checkTemplateLimits(src []byte, filename string) *hcl.Diagnostic {
	if len(src) > MaxFileBytes {
		return tooLarge(filename, "Template too large", fmt.Sprintf("%s has %d bytes; isobench renders templates of at most %d MiB. Read large data with file() and pass it to the template as a variable.",
			filename, len(src), MaxFileBytes>>20))
	}
	tokens, _ := hclsyntax.LexTemplate(src, filename, hcl.InitialPos)
	return checkTokens(tokens, src, filename, true)
}

// tooLarge is the diagnostic of a file past MaxFileBytes, at its start.
func tooLarge(filename, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail,
		Subject: &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos}}
}

// checkTokens applies the nesting, operator and line limits to a lexed file. In a config
// file an expression ends at a newline outside brackets; in a template, also where an
// interpolation or directive closes back to the template's text.
func checkTokens(tokens hclsyntax.Tokens, src []byte, filename string, template bool) *hcl.Diagnostic {
	depth, ops := 0, 0
	for _, tok := range tokens {
		switch tok.Type {
		case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen, hclsyntax.TokenOQuote,
			hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			if depth++; depth > MaxNesting {
				return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Nested too deeply",
					Detail: fmt.Sprintf("Blocks, brackets, parentheses, strings and templates nest here more than %d levels deep, the most isobench reads.",
						MaxNesting),
					Subject: tok.Range.Ptr()}
			}
		case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCQuote,
			hclsyntax.TokenCHeredoc, hclsyntax.TokenTemplateSeqEnd:
			depth = max(0, depth-1)
			if template && depth == 0 {
				ops = 0 // the end of an interpolation or directive
			}
		case hclsyntax.TokenNewline, hclsyntax.TokenEOF:
			if depth == 0 {
				ops = 0 // the end of an attribute
			}
		case hclsyntax.TokenPlus, hclsyntax.TokenMinus, hclsyntax.TokenStar, hclsyntax.TokenSlash, hclsyntax.TokenPercent,
			hclsyntax.TokenEqualOp, hclsyntax.TokenNotEqual, hclsyntax.TokenLessThan, hclsyntax.TokenLessThanEq,
			hclsyntax.TokenGreaterThan, hclsyntax.TokenGreaterThanEq, hclsyntax.TokenAnd, hclsyntax.TokenOr,
			hclsyntax.TokenBang, hclsyntax.TokenQuestion:
			if ops++; ops > MaxOperators {
				return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Expression too long",
					Detail: fmt.Sprintf("This expression has more than %d operators, the most isobench evaluates in one expression; build long values with functions over lists instead (sum, concat, join).",
						MaxOperators),
					Subject: tok.Range.Ptr()}
			}
		}
	}
	return checkLineLengths(src, filename)
}

// checkLineLengths reports the first line longer than MaxLineBytes.
func checkLineLengths(src []byte, filename string) *hcl.Diagnostic {
	line := 1
	for len(src) > 0 {
		n := bytes.IndexByte(src, '\n')
		if n < 0 {
			n = len(src)
		}
		if n > MaxLineBytes {
			col := utf8.RuneCount(src[:MaxLineBytes]) + 1
			pos := hcl.Pos{Line: line, Column: col}
			return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Line too long",
				Detail: fmt.Sprintf("Line %d has %d bytes; isobench reads lines of at most %d KiB. Break the value over several lines.",
					line, n, MaxLineBytes>>10),
				Subject: &hcl.Range{Filename: filename, Start: pos, End: pos}}
		}
		src = src[min(n+1, len(src)):]
		line++
	}
	return nil
}

// SourceWindow is the part of a source line a diagnostic quotes: at most width characters
// around column col (1-based), with an ellipsis where the line was cut, and the column of
// col within the window, for the caret. A line of a few megabytes is quoted as a short
// window, not in full.
func SourceWindow(line string, col, width int) (window string, caret int) {
	runes := []rune(line)
	if len(runes) <= width {
		return line, col
	}
	start := max(0, min(col-1-width/2, len(runes)-width))
	end := min(len(runes), start+width)
	window = string(runes[start:end])
	caret = col - start
	if start > 0 {
		window = "..." + window
		caret += 3
	}
	if end < len(runes) {
		window += "..."
	}
	return window, caret
}
