# Median and percentile of 2,000 floats.
import random
import time

import tinystats

rng = random.Random(0)
data = [rng.random() for _ in range(2000)]
start = time.perf_counter()
for _ in range(3):
    tinystats.median(data)
    tinystats.percentile(data, 90)
print(f"Execution time: {time.perf_counter() - start:.6f}s")
