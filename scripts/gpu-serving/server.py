"""A small transformer on the GPU behind an OpenAI-compatible streaming endpoint.

The weights are random, built from CONFIG in code (nothing is downloaded): the point is the
work a decode step does, not the words. With KV_CACHE off every step runs the whole context
through the model again; with it on a step runs its one new token against cached keys and
values. Usage: python server.py --port PORT
"""
import argparse
import json
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
import torch.nn.functional as F

KV_CACHE = False
# Attention through FlashAttention, not cuDNN: on Hopper PyTorch may pick cuDNN's kernel, which
# builds a graph for every new sequence length (tens of milliseconds), once per decode step
# here, and that would hide the decode step being measured.
torch.backends.cuda.enable_cudnn_sdp(False)
CONFIG = dict(vocab=32000, dim=2048, layers=8, heads=16, max_len=4096)


class Model(torch.nn.Module):
    def __init__(self, vocab, dim, layers, heads, max_len):
        super().__init__()
        self.heads = heads
        self.emb = torch.nn.Embedding(vocab, dim)
        self.pos = torch.nn.Embedding(max_len, dim)
        self.blocks = torch.nn.ModuleList([torch.nn.ModuleDict(dict(
            ln1=torch.nn.LayerNorm(dim), qkv=torch.nn.Linear(dim, 3 * dim, bias=False),
            out=torch.nn.Linear(dim, dim, bias=False), ln2=torch.nn.LayerNorm(dim),
            up=torch.nn.Linear(dim, 4 * dim, bias=False), down=torch.nn.Linear(4 * dim, dim, bias=False)))
            for _ in range(layers)])
        self.ln = torch.nn.LayerNorm(dim)
        self.head = torch.nn.Linear(dim, vocab, bias=False)

    def forward(self, ids, start, cache):
        """Logits of the last position of ids (1, n), at positions start.., and the keys and
        values of every layer, after those in cache (None: no earlier positions)."""
        n, dim = ids.shape[1], self.emb.embedding_dim
        x = self.emb(ids) + self.pos(torch.arange(start, start + n, device=ids.device))
        new = []
        for i, b in enumerate(self.blocks):
            q, k, v = b["qkv"](b["ln1"](x)).view(1, n, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
            if cache is not None:
                k, v = torch.cat([cache[i][0], k], dim=2), torch.cat([cache[i][1], v], dim=2)
            new.append((k, v))
            a = F.scaled_dot_product_attention(q, k, v, is_causal=q.shape[2] == k.shape[2])
            x = x + b["out"](a.transpose(1, 2).reshape(1, n, dim))
            x = x + b["down"](F.gelu(b["up"](b["ln2"](x))))
        return self.head(self.ln(x[:, -1])), new


def tokenize(text):
    return [zlib.crc32(w.encode()) % CONFIG["vocab"] for w in text.split()]


@torch.inference_mode()
def generate(model, prompt_ids, max_tokens):
    ids = torch.tensor([prompt_ids], device="cuda")
    logits, cache = model(ids, 0, None)
    n = ids.shape[1]
    for i in range(max_tokens):
        tok = int(logits.argmax(-1))
        yield tok
        if i == max_tokens - 1:
            return
        step = torch.tensor([[tok]], device="cuda")
        if KV_CACHE:
            logits, cache = model(step, n, cache)
        else:
            ids = torch.cat([ids, step], dim=1)
            logits, _ = model(ids, 0, None)
        n += 1


MODEL = None
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    # Each token is a small write, which Nagle's algorithm may hold back for the client's delayed
    # ACK (up to 40 ms on Linux). Serving frameworks (uvicorn, vLLM's server) set TCP_NODELAY;
    # on an H200 (2026-12-02) leaving it out changed TPOT by less than the noise, while cuDNN's
    # attention (above) made it 57 to 69 ms.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))

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
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/v1/completions":
            self.send_json(404, {"error": "not found"})
            return
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        ids, max_tokens = tokenize(req.get("prompt", "")), int(req.get("max_tokens", 16))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        with LOCK:
            for i, tok in enumerate(generate(MODEL, ids, max_tokens)):
                chunk = {"object": "text_completion", "model": "tiny-gpu",
                         "choices": [{"index": 0, "text": " t%d" % tok, "finish_reason": None}]}
                self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def main():
    global MODEL
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    start = time.perf_counter()
    torch.manual_seed(0)
    with torch.device("cuda"):
        MODEL = Model(**CONFIG).to(torch.bfloat16).eval()
    for _ in generate(MODEL, tokenize("warm up " * 64), 8):
        pass
    torch.cuda.synchronize()
    params = sum(p.numel() for p in MODEL.parameters())
    print("model of %.0fM parameters on %s, kv_cache=%s, ready in %.2fs" % (
        params / 1e6, torch.cuda.get_device_name(), KV_CACHE, time.perf_counter() - start), flush=True)
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
