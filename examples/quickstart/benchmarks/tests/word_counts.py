# Word counts of 15,000 words drawn from 300 distinct ones.
import random
import time

import tinystats

rng = random.Random(0)
words = ["w%d" % i for i in range(300)]
text = " ".join(rng.choice(words) for _ in range(15000))
start = time.perf_counter()
tinystats.word_counts(text)
print(f"Execution time: {time.perf_counter() - start:.6f}s")
