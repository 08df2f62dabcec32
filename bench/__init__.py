"""The benchmarks: ``python -m bench`` (results.md), one module per homework (``bench/<hw>.py``)."""
import os

# OpenMP threads that spin while waiting collapse when another process takes a core (measured on
# 2 cores: 0.2 s/step idle, 1.4 s/step beside a busy process; passive waiting: 0.3 s/step). Set
# here, before any benchmark starts torch's thread pool; an explicit OMP_WAIT_POLICY wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
