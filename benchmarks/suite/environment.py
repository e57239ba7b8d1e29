"""The machine and the library versions, for the report's header and results.json."""

import datetime
import os
import platform
from pathlib import Path

import numba
import numpy as np

import lossjit as lj

from .measure import triad
from .peers import sk, torch


def environment():
    """Machine, versions, thread pools and load at the start of the run."""
    triad(np.ones(10**5), np.ones(10**5), np.ones(10**5), 1.0)  # a parallel launch picks the layer
    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": _cpu_name(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "numba_threads": numba.get_num_threads(),
        "threading_layer": numba.threading_layer(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "lossjit": lj.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "sklearn": __import__("sklearn").__version__ if sk is not None else None,
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
        "load_average": os.getloadavg(),
    }
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: pool.get(k) for k in ("internal_api", "num_threads", "version", "architecture")}
                               for pool in threadpool_info()]
    except ImportError:
        info["threadpools"] = "threadpoolctl not installed"
    return info


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
