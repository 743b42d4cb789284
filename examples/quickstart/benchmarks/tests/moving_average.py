# Moving average of 50,000 floats with a window of 200.
import random
import time

import tinystats

rng = random.Random(0)
series = [rng.random() for _ in range(50000)]
start = time.perf_counter()
tinystats.moving_average(series, 200)
print(f"Execution time: {time.perf_counter() - start:.6f}s")
