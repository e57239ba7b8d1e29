"""Losses at scale (chapter 07): a ``.npy`` file as a Dask array whose chunks are read where their tasks run.

:func:`from_npy` is the recipe of lossjit's README ("Losses at scale (Dask)", memory-mapped files). A
``.npy`` file of any size is opened with ``np.load(path, mmap_mode="r")``, a memory map: nothing is read until
an element is used, and the operating system pages the file in and out of memory as it is read. The Dask
array built here has one task per chunk, and that task maps the file again and slices its own chunk out of
it, in whichever process runs the task: a thread of this process, a worker process of a ``LocalCluster``, or
a worker on another machine that sees the file at the same path. What the graph carries is the path and the
chunk's position, a few hundred bytes, never the data.

Why not ``dask.array.from_array(np.load(path, mmap_mode="r"))``, which looks like the same thing? Because it
puts the memory map itself into the graph, as the array every chunk is sliced from:

* since Dask 2024.12 computing such a graph copies the whole memory map into memory before the first chunk
  is sliced (`dask/dask#11850 <https://github.com/dask/dask/issues/11850>`_): a file larger than memory then
  does not fit, and a smaller one costs its whole size in memory and a full read before any work starts;
* a ``distributed`` client pickles the graph to send it to the scheduler, and a memory map pickles as its
  whole contents: the file travels through the scheduler to the workers, which could have read it themselves.

Chapter 07 measures the second point (the pickled graph of each); ``benchmarks/README.md`` times the first.

The reader is a function defined inside :func:`from_npy`, as in the README: ``cloudpickle`` (which Dask uses)
sends such a function by value, so the workers of a real cluster need NumPy but not this module.
"""

import dask.array as da
import numpy as np


def from_npy(path, chunks="auto"):
    """A ``.npy`` file as a Dask array whose chunks are read where their tasks run (no copy; only the path is
    pickled). ``chunks`` as :func:`dask.array.from_array` takes it: ``"auto"``, an int, a tuple of ints or of
    tuples. The file must exist when this is called (its shape and dtype are read from its header), and at the
    same path wherever a task runs."""
    path = str(path)
    mapped = np.load(path, mmap_mode="r")

    def read(block_info=None):
        return np.load(path, mmap_mode="r")[tuple(slice(*where) for where in block_info[None]["array-location"])]

    return da.map_blocks(read, chunks=da.core.normalize_chunks(chunks, mapped.shape, dtype=mapped.dtype),
                         dtype=mapped.dtype, meta=np.empty((0,) * mapped.ndim, mapped.dtype))
