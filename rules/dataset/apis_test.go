package dataset

import (
	"reflect"
	"testing"
)

func TestAffectedAPIs(t *testing.T) {
	tests := []struct {
		name string
		diff string
		want []string
	}{
		{
			name: "method found through the hunk header",
			diff: `diff --git a/vllm/v1/sample/sampler.py b/vllm/v1/sample/sampler.py
index 1111111..2222222 100644
--- a/vllm/v1/sample/sampler.py
+++ b/vllm/v1/sample/sampler.py
@@ -40,7 +40,7 @@ class Sampler(nn.Module):
     def forward(self, logits):
         probs = logits.softmax(-1)
-        return probs.argmax(-1)
+        return torch.argmax(probs, dim=-1)
 
     def other(self):
         pass
`,
			want: []string{"vllm.v1.sample.sampler.Sampler.forward"},
		},
		{
			name: "changed def lines, nested scopes, a new class and module level changes",
			diff: `diff --git a/pkg/__init__.py b/pkg/__init__.py
--- a/pkg/__init__.py
+++ b/pkg/__init__.py
@@ -1,12 +1,16 @@
-import os
+import os, sys
 
 class Cache:
-    def get(self, key):
+    def get(self, key, default=None):
         return self.d[key]
 
     def put(self, key, value):
         def helper():
-            return 1
+            return 2
         self.d[key] = value
+
+class Added:
+    size = 3
 
 async def fetch():
     # a comment changed below
-    # old comment
+    # new comment
     return 1
diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -1 +1 @@ def looks_like_python():
-def nope():
+def still_nope():
`,
			want: []string{"pkg.Added", "pkg.Cache.get", "pkg.Cache.put.helper"},
		},
		{
			name: "a deleted file keeps its module name",
			diff: `diff --git a/tools/old.py b/tools/old.py
deleted file mode 100644
--- a/tools/old.py
+++ /dev/null
@@ -1,2 +0,0 @@
-def gone():
-    return 0
`,
			want: []string{"tools.old.gone"},
		},
		{name: "no diff", diff: "", want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AffectedAPIs(tt.diff)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("AffectedAPIs() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestModuleOf(t *testing.T) {
	for path, want := range map[string]string{
		"vllm/config.py":          "vllm.config",
		"vllm/config/__init__.py": "vllm.config",
		"stubs/x.pyi":             "stubs.x",
		"csrc/kernel.cu":          "",
		"__init__.py":             "",
	} {
		if got := moduleOf(path); got != want {
			t.Errorf("moduleOf(%q) = %q, want %q", path, got, want)
		}
	}
}
