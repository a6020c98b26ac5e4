"""The batch's Dask worker plugin (a module of its own: only Dask runs import distributed)."""

from __future__ import annotations

from typing import Any

from distributed import WorkerPlugin

from gis.batch import warm_worker


class WarmWorkerPlugin(WorkerPlugin):
    """:func:`gis.batch.warm_worker` on every worker of the cluster, present and future.

    Registered by :func:`gis.batch.run_batch` before the county tasks are submitted, so the
    workers import geopandas and the indicators once, outside the first county's timing.
    """

    name = "baicheng-warm-worker"

    def setup(self, worker: Any) -> None:
        """Warm the worker when the plugin is registered or the worker joins."""
        warm_worker()
