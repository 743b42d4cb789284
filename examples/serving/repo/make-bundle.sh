#!/bin/sh
# make-bundle.sh builds tinyserve.bundle, the Git history of "tinyserve", a small
# OpenAI-compatible completion server in pure Python (standard library only) used by the
# serving example. Its "model" is a deterministic toy whose decode step costs time in
# proportion to the context it re-reads, the way a transformer without a KV cache does:
#
#   1. the server: /health, /v1/models, /v1/completions with streaming (server-sent events)
#   2. decode: keep a KV cache, so a step no longer re-reads the whole context (faster TPOT)
#   3. docs: a README section on running it (changes no code: a negative control)
#
# The history is deterministic (see examples/git-history.sh).
#
# Usage: examples/serving/repo/make-bundle.sh  (writes tinyserve.bundle next to itself)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo_name=tinyserve
. "$here/../../git-history.sh"

# --- 1. The server. ---------------------------------------------------------------------------

cat >README.md <<'EOF'
# tinyserve

A small OpenAI-compatible completion server in pure Python, with a toy model.
EOF

cat >model.py <<'EOF'
"""A toy language model: deterministic words, and a decode step that costs time.

A step re-reads the whole context (prompt and the tokens generated so far), as a
transformer without a KV cache recomputes every position's keys and values.
"""
import hashlib
import time

WORDS = ("the quick brown fox jumps over a lazy dog while seven bright stars "
         "watch quiet rivers run past old stone bridges near green hills").split()

# Seconds per decode step, and per token of context a step reads.
STEP = 0.002
PER_CONTEXT_TOKEN = 0.00003
# Seconds to "load the weights" when the server starts.
LOAD = 0.3


def load():
    time.sleep(LOAD)


def tokenize(text):
    return text.split()


def generate(prompt, max_tokens):
    """Yields max_tokens words, one per decode step."""
    context = tokenize(prompt)
    seed = hashlib.sha256(prompt.encode()).digest()
    for i in range(max_tokens):
        time.sleep(STEP + PER_CONTEXT_TOKEN * len(context))
        word = WORDS[(seed[i % len(seed)] + i) % len(WORDS)]
        context.append(word)
        yield word
EOF

cat >server.py <<'EOF'
"""An OpenAI-compatible completion server: python server.py --port 8000 [--model NAME]."""
import argparse
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import model

MODEL = "tiny"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            self.send_json(200, {"status": "ok"})
        elif self.path == "/v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/v1/completions":
            self.send_json(404, {"error": "not found"})
            return
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        prompt, max_tokens = req.get("prompt", ""), int(req.get("max_tokens", 16))
        created, rid = int(time.time()), "cmpl-%d" % id(req)
        if not req.get("stream"):
            text = " ".join(model.generate(prompt, max_tokens))
            self.send_json(200, {"id": rid, "object": "text_completion", "created": created, "model": MODEL,
                                 "choices": [{"index": 0, "text": text, "finish_reason": "length"}],
                                 "usage": {"prompt_tokens": len(model.tokenize(prompt)), "completion_tokens": max_tokens}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for i, word in enumerate(model.generate(prompt, max_tokens)):
            chunk = {"id": rid, "object": "text_completion", "created": created, "model": MODEL,
                     "choices": [{"index": 0, "text": " " + word,
                                  "finish_reason": "length" if i == max_tokens - 1 else None}]}
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def main():
    global MODEL
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--model", default=MODEL)
    args = p.parse_args()
    MODEL = args.model
    print("loading model %s" % MODEL, flush=True)
    model.load()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print("serving on http://%s:%d" % (args.host, args.port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
EOF

commit "Ada Serra <ada@tinyserve.example>" "2024-03-01T10:00:00Z" <<'EOF'
tinyserve: an OpenAI-compatible completion server with streaming
EOF

# --- 2. The KV cache. -------------------------------------------------------------------------

python3 - <<'EOF'
import re
p = "model.py"
s = open(p).read()
s = s.replace('''A step re-reads the whole context (prompt and the tokens generated so far), as a
transformer without a KV cache recomputes every position's keys and values.''',
'''The prompt is read once (prefill); each decode step then reads only its own token, as a
transformer with a KV cache does.''')
s = s.replace('''    context = tokenize(prompt)
    seed = hashlib.sha256(prompt.encode()).digest()
    for i in range(max_tokens):
        time.sleep(STEP + PER_CONTEXT_TOKEN * len(context))
        word = WORDS[(seed[i % len(seed)] + i) % len(WORDS)]
        context.append(word)
        yield word''', '''    context = tokenize(prompt)
    seed = hashlib.sha256(prompt.encode()).digest()
    cached = 0  # positions whose keys and values are cached
    for i in range(max_tokens):
        time.sleep(STEP + PER_CONTEXT_TOKEN * (len(context) - cached))
        cached = len(context)
        word = WORDS[(seed[i % len(seed)] + i) % len(WORDS)]
        context.append(word)
        yield word''')
open(p, "w").write(s)
EOF

commit "Ben Okafor <ben@tinyserve.example>" "2024-03-08T15:30:00Z" <<'EOF'
decode: keep a KV cache, so a step no longer re-reads the context

Every decode step re-read the prompt and every token generated so far. The keys and values
of positions already seen are now kept, so a step reads only its own token: the time per
output token no longer grows with the prompt.
EOF

# --- 3. Documentation only. -------------------------------------------------------------------

cat >>README.md <<'EOF'

## Running

    python server.py --port 8000
    curl -N localhost:8000/v1/completions -d '{"prompt": "hello", "max_tokens": 8, "stream": true}'
EOF

commit "Ada Serra <ada@tinyserve.example>" "2024-03-12T09:00:00Z" <<'EOF'
README: how to run the server
EOF

git log --format='%H %s' >"$work/log"
git bundle create --quiet "$here/tinyserve.bundle" main
cat "$work/log"
