#!/bin/sh
# make-bundle.sh builds tinystats.bundle, the Git history of "tinystats", a small pure-Python
# library used by the quickstart example: an initial slow implementation, three commits that
# each make one function faster, and one documentation commit. See COMMITS.md.
#
# The history is deterministic (see examples/git-history.sh).
#
# Usage: examples/quickstart/repo/make-bundle.sh  (writes tinystats.bundle next to itself)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo_name=tinystats
. "$here/../../git-history.sh"

mkdir tinystats tests

# --- 1. The initial, straightforward implementation. -------------------------------------------

cat >pyproject.toml <<'EOF'
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "tinystats"
version = "0.1.0"
description = "Small descriptive statistics and text helpers in pure Python"
requires-python = ">=3.8"
EOF

cat >README.md <<'EOF'
# tinystats

Small descriptive statistics and text helpers in pure Python, with no dependencies.
EOF

cat >tinystats/__init__.py <<'EOF'
"""tinystats: small descriptive statistics and text helpers in pure Python."""

from tinystats.distance import euclidean, pairwise_distances
from tinystats.stats import mean, median, moving_average, percentile
from tinystats.text import tokenize, top_words, word_counts

__all__ = [
    "euclidean",
    "mean",
    "median",
    "moving_average",
    "pairwise_distances",
    "percentile",
    "tokenize",
    "top_words",
    "word_counts",
]
__version__ = "0.1.0"
EOF

cat >tinystats/stats.py <<'EOF'
"""Descriptive statistics of sequences of numbers."""


def _sorted_copy(values):
    """Return the values in ascending order (insertion sort)."""
    out = []
    for value in values:
        out.append(value)
        i = len(out) - 1
        while i > 0 and out[i - 1] > value:
            out[i] = out[i - 1]
            i -= 1
        out[i] = value
    return out


def mean(values):
    """Arithmetic mean."""
    values = list(values)
    if not values:
        raise ValueError("mean of empty data")
    return sum(values) / len(values)


def median(values):
    """Middle value; the mean of the two middle values for an even count."""
    ordered = _sorted_copy(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of empty data")
    mid = n // 2
    if n % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values, p):
    """The p-th percentile (0 to 100), interpolating linearly between closest ranks."""
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    ordered = _sorted_copy(values)
    if not ordered:
        raise ValueError("percentile of empty data")
    pos = (len(ordered) - 1) * p / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def moving_average(values, window):
    """Average of every run of `window` consecutive values."""
    values = list(values)
    if window <= 0:
        raise ValueError("window must be positive")
    return [sum(values[i:i + window]) / window for i in range(len(values) - window + 1)]
EOF

cat >tinystats/text.py <<'EOF'
"""Splitting text into words and counting them."""

import re

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text):
    """Lower-cased words of the text; an apostrophe inside a word is kept ("don't")."""
    return _TOKEN.findall(text.lower())


def word_counts(text):
    """(word, count) pairs, the most frequent first, ties in alphabetical order."""
    counts = []
    for token in tokenize(text):
        for entry in counts:
            if entry[0] == token:
                entry[1] += 1
                break
        else:
            counts.append([token, 1])
    counts.sort(key=lambda entry: (-entry[1], entry[0]))
    return [(word, count) for word, count in counts]


def top_words(text, n=10):
    """The n most frequent words of the text with their counts."""
    return word_counts(text)[:n]
EOF

cat >tinystats/distance.py <<'EOF'
"""Distances between points given as sequences of coordinates."""

import math


def euclidean(a, b):
    """Euclidean distance between two points of the same dimension."""
    if len(a) != len(b):
        raise ValueError("points of different dimensions")
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))


def pairwise_distances(points):
    """Matrix of the Euclidean distances between every two points."""
    n = len(points)
    out = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            d = euclidean(points[i], points[j])
            out[i][j] = out[j][i] = d
    return out
EOF

cat >tests/test_tinystats.py <<'EOF'
import unittest

import tinystats


class StatsTest(unittest.TestCase):
    def test_mean(self):
        self.assertEqual(tinystats.mean([1, 2, 3, 4]), 2.5)

    def test_median(self):
        self.assertEqual(tinystats.median([5, 1, 3]), 3)
        self.assertEqual(tinystats.median([4, 1, 3, 2]), 2.5)
        with self.assertRaises(ValueError):
            tinystats.median([])

    def test_percentile(self):
        values = [15, 20, 35, 40, 50]
        self.assertEqual(tinystats.percentile(values, 0), 15)
        self.assertEqual(tinystats.percentile(values, 50), 35)
        self.assertEqual(tinystats.percentile(values, 100), 50)
        self.assertAlmostEqual(tinystats.percentile(values, 40), 29.0)

    def test_moving_average(self):
        self.assertEqual(tinystats.moving_average([1, 2, 3, 4, 5], 2), [1.5, 2.5, 3.5, 4.5])
        self.assertEqual(tinystats.moving_average([1, 2], 3), [])


class TextTest(unittest.TestCase):
    def test_tokenize(self):
        self.assertEqual(tinystats.tokenize("Don't panic, 42 times!"), ["don't", "panic", "42", "times"])

    def test_word_counts(self):
        counts = tinystats.word_counts("b a b c a b")
        self.assertEqual(counts, [("b", 3), ("a", 2), ("c", 1)])
        self.assertEqual(tinystats.top_words("b a b c a b", 1), [("b", 3)])


class DistanceTest(unittest.TestCase):
    def test_pairwise(self):
        d = tinystats.pairwise_distances([(0, 0), (3, 4), (6, 8)])
        self.assertEqual(d[0][1], 5.0)
        self.assertEqual(d[2][0], 10.0)
        self.assertEqual(d[1][1], 0.0)


if __name__ == "__main__":
    unittest.main()
EOF

commit "Ada Park <ada.park@tinystats.example>" "2025-03-03T10:00:00+01:00" <<'EOF'
Initial implementation of tinystats

Descriptive statistics (mean, median, percentile, moving average), text
helpers (tokenize, word counts) and pairwise Euclidean distances, written
for clarity first, with unit tests.
EOF

# --- 2. Performance: sorted() instead of an insertion sort. ------------------------------------

python3 - <<'EOF'
path = "tinystats/stats.py"
src = open(path).read()
start = src.index("def _sorted_copy")
end = src.index("def mean")
src = src[:start] + src[end:]
src = src.replace("ordered = _sorted_copy(values)", "ordered = sorted(values)")
open(path, "w").write(src)
EOF

commit "Ben Osei <ben.osei@tinystats.example>" "2025-03-05T14:30:00+01:00" <<'EOF'
Use sorted() in median and percentile

median() and percentile() ordered their input with a hand-written
insertion sort: O(n^2) comparisons and element moves, each one a few
bytecodes in the interpreter. The built-in sorted() is Timsort in C,
O(n log n) comparisons with no per-element interpreter overhead.

median() of 2,000 random floats goes from about 60 ms of CPU time to
0.1 ms; percentile() gains the same. Results are unchanged.
EOF

# --- 3. Performance: count words with a dict. ---------------------------------------------------

python3 - <<'EOF'
path = "tinystats/text.py"
src = open(path).read()
old = src[src.index("    counts = []"):src.index("def top_words")]
new = '''    counts = {}
    for token in tokenize(text):
        counts[token] = counts.get(token, 0) + 1
    return sorted(counts.items(), key=lambda entry: (-entry[1], entry[0]))


'''
src = src.replace(old, new)
open(path, "w").write(src)
EOF

commit "Chen Wei <chen.wei@tinystats.example>" "2025-03-10T09:15:00+01:00" <<'EOF'
Count words with a dict instead of scanning a list

word_counts() kept [word, count] pairs in a list and, for every token,
scanned that list for the word: O(tokens x distinct words). A dict finds
the word by its hash in O(1) on average, so counting is linear in the
number of tokens; sorting the distinct words at the end is unchanged.

word_counts() of 15,000 tokens over a 300-word vocabulary goes from
about 70 ms to 3 ms. The output (order included) is the same.
EOF

# --- 4. Documentation. ---------------------------------------------------------------------------

cat >>README.md <<'EOF'

## Usage

```python
import tinystats

tinystats.median([5, 1, 3])                  # 3
tinystats.percentile([15, 20, 35, 40, 50], 40)  # 29.0
tinystats.moving_average([1, 2, 3, 4, 5], 2)  # [1.5, 2.5, 3.5, 4.5]
tinystats.top_words("b a b c a b", 2)         # [("b", 3), ("a", 2)]
tinystats.pairwise_distances([(0, 0), (3, 4)])  # [[0.0, 5.0], [5.0, 0.0]]
```

## Functions

| function | what it returns |
| --- | --- |
| `mean(values)` | the arithmetic mean |
| `median(values)` | the middle value (mean of the two middle ones for an even count) |
| `percentile(values, p)` | the p-th percentile, interpolated between closest ranks |
| `moving_average(values, window)` | the mean of every run of `window` consecutive values |
| `tokenize(text)` | the lower-cased words of a text |
| `word_counts(text)` | (word, count) pairs, most frequent first |
| `top_words(text, n)` | the n most frequent words |
| `pairwise_distances(points)` | the matrix of Euclidean distances between points |

## Tests

```sh
python -m unittest discover -s tests
```
EOF

commit "Ada Park <ada.park@tinystats.example>" "2025-03-12T11:45:00+01:00" <<'EOF'
Document usage and the functions in the README

Examples for each function and a table of what they return, plus how to
run the tests. No code change.
EOF

# --- 5. Performance: moving average from prefix sums. --------------------------------------------

python3 - <<'EOF'
path = "tinystats/stats.py"
src = open(path).read()
src = src.replace('"""Descriptive statistics of sequences of numbers."""\n',
                  '"""Descriptive statistics of sequences of numbers."""\n\nfrom itertools import accumulate\n')
old = "    return [sum(values[i:i + window]) / window for i in range(len(values) - window + 1)]\n"
new = '''    # prefix[i] is the sum of the first i values, so every window's sum is one subtraction.
    prefix = [0, *accumulate(values)]
    return [(prefix[i + window] - prefix[i]) / window for i in range(len(values) - window + 1)]
'''
assert old in src
src = src.replace(old, new)
open(path, "w").write(src)
EOF

commit "Dana Ruiz <dana.ruiz@tinystats.example>" "2025-03-18T16:20:00+01:00" <<'EOF'
Compute moving averages from precomputed prefix sums

moving_average() summed a fresh slice for every window: O(n x window)
additions and a list copy per output value. Precomputing prefix sums
once with itertools.accumulate makes each window's sum one subtraction,
O(n) in all, whatever the window.

moving_average() of 50,000 values with a window of 200 goes from about
90 ms to 18 ms. For floats the last bits can differ from summing each
window directly, as with any reassociated sum.
EOF

GIT_COMMITTER_NAME="Dana Ruiz" GIT_COMMITTER_EMAIL=dana.ruiz@tinystats.example \
	GIT_COMMITTER_DATE="2025-03-18T16:30:00+01:00" git tag --annotate --message="tinystats 0.1.0" v0.1.0

rm -f "$here/tinystats.bundle"
git bundle create --quiet "$here/tinystats.bundle" --all
git log --reverse --format='%H %s'
