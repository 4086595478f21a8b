"""Run genrekit's batch work on a Dask cluster: connect, map with a bounded window, survive dead workers.

Two things use it: feature extraction (``features.scheduler`` / ``genrekit features --scheduler``,
see :func:`genrekit.features.extract.extract_dataset`) and the ``xgboost-dask`` model
(:mod:`genrekit.models.xgboost_dask`). Neither has a scheduler of its own: Dask places the tasks,
restarts dead workers and re-runs what they held.

Addresses (:func:`dask_client`):

==========================  ==================================================================
``tcp://host:8786``         a running ``dask scheduler`` (any address ``distributed.Client`` takes)
``/path/scheduler.json``    the scheduler file written by ``dask scheduler --scheduler-file``,
                            dask-mpi or dask-jobqueue
``local``, ``local:N``      a :class:`distributed.LocalCluster` of N one-thread worker processes
                            on this machine (N = CPU cores if left out), closed afterwards
==========================  ==================================================================

How extraction uses the cluster: each track is one task running the very function of the local
path; results (a few kB of features per track) come back to this process as they finish, and this
process alone writes the Parquet cache, in the same part files as a local run. Workers never touch
the cache, so two workers can never overwrite each other's parts, a cache built on a cluster is read
locally and vice versa, and the cache folder needs no shared file system. The audio does: every
worker opens each file at the path this process resolved.

Dask is an optional dependency (``pip install 'genrekit[dask]'``); it is imported only here, and only
when a cluster is asked for.
"""

from __future__ import annotations

import itertools
import os
import re
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from genrekit.errors import ConfigError

#: The address that starts a LocalCluster on this machine (``local`` or ``local:N``).
LOCAL = "local"

_LOCAL_PATTERN = re.compile(r"^local(?::(\d+))?$")
_MAX_LOCAL_WORKERS = 1024  # more is a port number written the wrong way

# Open clients by address, innermost last: a nested request for the same address (training opens a
# cluster, then feature extraction inside it asks for the same one) reuses the client instead of
# starting a second LocalCluster.
_OPEN: dict[str, Any] = {}


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "a Dask scheduler was given but dask.distributed is not installed; "
            "install the extra with: pip install 'genrekit[dask]'"
        ) from None
    return distributed


def parse_address(address: str) -> tuple[str, int | None]:
    """Classify a scheduler address.

    Parameters
    ----------
    address : str
        See the module docstring.

    Returns
    -------
    kind : {'local', 'file', 'remote'}
    n_workers : int or None
        Worker processes of a ``local:N`` cluster (None: one per CPU core, or not local).

    Raises
    ------
    ConfigError
        If the address is empty or a ``local:N`` with N < 1.
    """
    text = str(address).strip()
    if not text:
        raise ConfigError("the Dask scheduler address is empty; give one, 'local' or 'local:N'")
    match = _LOCAL_PATTERN.match(text)
    if match:
        n = None if match.group(1) is None else int(match.group(1))
        if n is not None and n < 1:
            raise ConfigError(f"scheduler address {text!r}: a local cluster needs at least one worker")
        if n is not None and n > _MAX_LOCAL_WORKERS:
            raise ConfigError(
                f"scheduler address {text!r} asks for {n} local worker processes; "
                f"for a scheduler on this machine write tcp://localhost:{n}"
            )
        return "local", n
    if text.startswith(f"{LOCAL}:"):  # 'localhost:8786' is a remote address, 'local:x' a typo
        raise ConfigError(f"scheduler address {text!r}: write 'local' or 'local:N' with N a number of workers")
    if text.endswith(".json"):
        return "file", None
    return "remote", None


@contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A :class:`distributed.Client` for ``address``, closed (with its LocalCluster) on exit.

    A client already open for the same address (an enclosing ``dask_client``) is reused and left
    open.

    Parameters
    ----------
    address : str
        ``tcp://host:port`` (or any address Dask accepts), a scheduler file ``*.json``, ``local``
        or ``local:N``.

    Yields
    ------
    distributed.Client

    Raises
    ------
    ConfigError
        If dask.distributed is missing, the address is malformed, or no scheduler answers.
    """
    address = str(address).strip()
    if address in _OPEN:
        yield _OPEN[address]
        return
    kind, n_workers = parse_address(address)
    distributed = _import_distributed()
    cluster = None
    try:
        if kind == "local":
            # one thread per process: feature code holds the GIL between numpy calls, as the
            # local path's process pool assumes
            cluster = distributed.LocalCluster(
                n_workers=n_workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = distributed.Client(cluster)
        elif kind == "file":
            if not os.path.isfile(address):
                raise ConfigError(f"{address}: Dask scheduler file not found")
            client = distributed.Client(scheduler_file=address)
        else:
            client = distributed.Client(address)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise ConfigError(f"Dask scheduler {address!r}: no answer ({exc})") from None
    _OPEN[address] = client
    try:
        yield client
    finally:
        del _OPEN[address]
        client.close()
        if cluster is not None:
            cluster.close()


def current_client():
    """The innermost client opened by :func:`dask_client`.

    Raises
    ------
    ConfigError
        If no :func:`dask_client` block is open.
    """
    if not _OPEN:
        raise ConfigError(
            "no Dask cluster is open; set features.scheduler (or model.params.scheduler), or wrap the call in "
            "genrekit.features.distributed.dask_client(address)"
        )
    return next(reversed(_OPEN.values()))


def total_threads(client) -> int:
    """Worker threads of the cluster (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def map_as_completed(
    client,
    function: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    on_lost: Callable[[Any, BaseException], Any] | None = None,
    window: int | None = None,
) -> Iterator[Any]:
    """Yield ``function(item)`` for every item, computed on the cluster, in completion order.

    At most ``window`` tasks are submitted at a time (a new one as each finishes), so neither the
    scheduler nor this process holds a task per track of a 100k-track dataset. Each result is
    fetched and released on the worker as soon as it is done, so a worker that dies later takes
    nothing finished with it.

    Parameters
    ----------
    client : distributed.Client
    function : callable
        Importable on the workers (a module-level function of an installed package).
    items : iterable
        One task argument each; pickled to the workers.
    on_lost : callable, optional
        ``on_lost(item, exc) -> result`` for an item whose task killed every worker that ran it
        (:class:`distributed.KilledWorker`: a crash in a decoder, memory exhausted): its return
        value is yielded instead. Without it the error is raised. Other errors always propagate.
    window : int, optional
        Tasks in flight (default: four per worker thread).

    Yields
    ------
    Whatever ``function`` (or ``on_lost``) returns, one per item.
    """
    distributed = _import_distributed()
    window = window or 4 * total_threads(client)
    source = iter(items)
    live: dict[str, tuple[Any, Any]] = {}  # key -> (future, item)

    def submit(item):
        # pure=False: a unique key per call, even for equal arguments
        future = client.submit(function, item, pure=False)
        live[future.key] = (future, item)
        return future

    pending = distributed.as_completed([submit(item) for item in itertools.islice(source, window)])
    try:
        for future in pending:
            _, item = live.pop(future.key)
            try:
                result = future.result()
            except distributed.KilledWorker as exc:
                if on_lost is None:
                    raise
                result = on_lost(item, exc)
            finally:
                future.release()
            # refill before handing the result over, so workers stay busy while it is written
            for nxt in itertools.islice(source, 1):
                pending.add(submit(nxt))
            yield result
    finally:
        # stopped early (an error, Ctrl-C, the consumer closed us): drop what is still queued
        pending.clear()
        if live:
            client.cancel([future for future, _ in live.values()])
