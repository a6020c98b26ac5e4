"""Batch: every indicator for every county workspace, sequentially, on local processes or Dask.

Counties are independent, so the batch maps one task per county and year over workers:

- ``workers == 1`` and no scheduler: sequential, in this process;
- ``workers > 1``: a :class:`concurrent.futures.ProcessPoolExecutor` with that many processes
  (``spawn`` start method, so no state leaks from the parent);
- ``scheduler="tcp://HOST:PORT"`` (or a ``distributed.Client``): the tasks run on a Dask
  distributed cluster whose workers can import this package and read the same folders.

Every mode runs the same function, :func:`run_county`, on the same inputs, so the results are
identical to the last digit.  Each finished county is written at once to
``<results>/<year>/<county_id>.json`` (the :func:`gis.report.county_report` dict plus the
full-precision values), so an interrupted batch resumes where it stopped: counties with a
result file are skipped unless ``force``.  A county that fails (corrupt workspace, bad data)
is written as ``<county_id>.error.json``, reported, and retried by the next run; the batch
goes on with the others.

Speed (docs/benchmarks.md, "Province batch"): the worker writes the result file and sends back
only a small :class:`CountyOutcome` (with per-phase timings and CPU seconds); worker processes
import the heavy modules once before their first county (:func:`warm_worker`: the pool's
initializer, a Dask worker plugin); counties are started largest first (:func:`largest_first`)
so that small ones fill the end of the run.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal

from gis.errors import GisError, NotFoundError

RESULT_SCHEMA = "baicheng-county-result/1"
METADATA_NAME = "metadata.json"
Status = Literal["computed", "skipped", "failed"]


@dataclass(frozen=True)
class CountyTask:
    """One county and year to compute (plain strings so it pickles to any worker)."""

    county_id: str
    workspace: str
    year: int
    results_dir: str
    database_url: str = ""


@dataclass(frozen=True)
class CountyOutcome:
    """What happened to one county: computed, skipped (result already there) or failed.

    Timings, all in seconds, measured in the process that ran the county: ``seconds`` is the
    county's wall time; its phases are ``import_s`` (heavy modules imported by this county
    because its worker was not warmed), ``read_s`` (the workspace and population raster),
    ``compute_s`` (:func:`gis.report.county_report` and the result document) and ``write_s``
    (the result file); their sum is at most ``seconds``.  ``cpu_s`` is the CPU time of the
    thread that ran the county (user + system, ``getrusage``); ``warmup_s`` the worker's own
    warm-up (:func:`warm_worker`, before its first county; reported by that first county only,
    0 otherwise); ``started_at`` the start as Unix time (to see start-up and idle gaps).
    """

    county_id: str
    year: int
    status: Status
    result_path: str = ""
    error: str = ""
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    worker: str = ""
    import_s: float = 0.0
    read_s: float = 0.0
    compute_s: float = 0.0
    write_s: float = 0.0
    cpu_s: float = 0.0
    warmup_s: float = 0.0
    started_at: float = 0.0


@dataclass
class BatchSummary:
    """Outcomes of a batch (sorted by county id) and how it ran."""

    outcomes: list[CountyOutcome]
    mode: str
    workers: int
    elapsed_s: float
    year: int
    results_dir: str
    extra: dict[str, Any] = field(default_factory=dict)

    def by_status(self, status: Status) -> list[CountyOutcome]:
        """Outcomes with ``status``."""
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[CountyOutcome]:
        """The counties that failed."""
        return self.by_status("failed")

    def time_spent(self) -> dict[str, float]:
        """Seconds summed over the computed counties, and the workers' occupancy.

        Keys: the phases (``import_s``, ``read_s``, ``compute_s``, ``write_s``), ``seconds``
        (the counties' wall), ``cpu_s``, ``warmup_s`` and ``occupancy`` = ``seconds`` /
        (workers × ``elapsed_s``), the share of the workers' time spent inside counties (for
        Dask the workers are those that reported an outcome).

        >>> s = BatchSummary([CountyOutcome("a", 2020, "computed", seconds=9.0, read_s=1.0),
        ...     CountyOutcome("b", 2020, "computed", seconds=7.0, compute_s=6.5)],
        ...     "processes", 2, 10.0, 2020, "out")
        >>> t = s.time_spent()
        >>> t["seconds"], t["read_s"], t["compute_s"], t["occupancy"]
        (16.0, 1.0, 6.5, 0.8)
        """
        done = self.by_status("computed")
        keys = ("import_s", "read_s", "compute_s", "write_s", "seconds", "cpu_s", "warmup_s")
        totals = {k: float(sum(getattr(o, k) for o in done)) for k in keys}
        ran = {o.worker for o in self.outcomes if o.status != "skipped"}
        workers = self.workers or len(ran) or 1
        busy = workers * self.elapsed_s
        totals["occupancy"] = totals["seconds"] / busy if busy > 0 else 0.0
        return totals

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "mode": self.mode,
            "workers": self.workers,
            "year": self.year,
            "elapsed_s": round(self.elapsed_s, 3),
            "results_dir": self.results_dir,
            "counts": {s: len(self.by_status(s)) for s in ("computed", "skipped", "failed")},
            "outcomes": [asdict(o) for o in self.outcomes],
        }


def discover_workspaces(root: str | Path) -> dict[str, Path]:
    """County id → workspace folder for every sub-folder of ``root`` holding a metadata.json.

    The county id is the folder name, as in the web app's URLs (``/map/<county_id>``).  A
    folder whose files are damaged is still listed, so that the batch reports it as failed
    instead of hiding it.
    """
    root = Path(root)
    if not root.is_dir():
        msg = f"{root}: no workspaces folder; create workspaces with `python -m gis ingest --out`"
        raise NotFoundError(msg)
    return {
        p.name: p
        for p in sorted(root.iterdir())
        if p.is_dir() and not p.name.startswith(".") and (p / METADATA_NAME).is_file()
    }


def select_counties(available: Iterable[str], spec: str = "all") -> list[str]:
    """The county ids named by ``spec`` (``all`` or ``ID,ID,...``), sorted.

    >>> select_counties(["410181", "410225"], "all")
    ['410181', '410225']
    >>> select_counties(["410181", "410225"], " 410225 ")
    ['410225']
    """
    ids = sorted(set(available))
    if spec.strip().lower() == "all":
        return ids
    wanted = sorted({s.strip() for s in spec.split(",") if s.strip()})
    unknown = [w for w in wanted if w not in ids]
    if unknown or not wanted:
        msg = (
            f"--counties: no workspace for {unknown or spec!r}; "
            f"available: {', '.join(ids) or 'none'} (use `all`, or ingest the county first)"
        )
        raise NotFoundError(msg)
    return wanted


def result_path(results_dir: str | Path, year: int, county_id: str) -> Path:
    """Where the result of ``county_id`` for ``year`` is written.

    >>> result_path("out", 2020, "410181").as_posix()
    'out/2020/410181.json'
    """
    return Path(results_dir) / str(int(year)) / f"{county_id}.json"


def error_path(results_dir: str | Path, year: int, county_id: str) -> Path:
    """Where the failure report of ``county_id`` for ``year`` is written."""
    return Path(results_dir) / str(int(year)) / f"{county_id}.error.json"


def is_finished(results_dir: str | Path, year: int, county_id: str) -> bool:
    """Whether a readable result of this county and year is already there."""
    path = result_path(results_dir, year, county_id)
    try:
        with path.open(encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return False
    return bool(data.get("schema") == RESULT_SCHEMA and data.get("year") == year)


def compute_county(workspace: str | Path, year: int, database_url: str = "") -> dict[str, Any]:
    """The result document of one workspace and year (no file written).

    ``workspace`` is a folder, or with ``database_url`` the county id in the PostGIS store.

    ``report`` is :func:`gis.report.county_report`'s dict; ``exact_values`` holds every
    indicator value as ``repr(float)`` (all digits), which is what "identical" is judged on.
    """
    return _document(_read_county(workspace, database_url), workspace, year)


def _read_county(workspace: str | Path, database_url: str) -> Any:
    """The workspace (layers, population cells, metadata) from its folder or the store."""
    from gis.io import read_workspace

    if database_url:
        from gis.store.postgis import PostgisStore

        return PostgisStore(database_url).read_workspace(str(workspace))
    return read_workspace(workspace)


def _document(ws: Any, workspace: str | Path, year: int) -> dict[str, Any]:
    """Every indicator of ``ws`` for ``year`` and its assessment, as the result document."""
    from gis.indicators._threads import sequential
    from gis.report import county_report
    from gis.settings import IndicatorSettings

    with sequential():  # the batch keeps the cores busy with a county each
        report, results = county_report(ws, IndicatorSettings(year=int(year)))
    return {
        "schema": RESULT_SCHEMA,
        "county_id": ws.county_id or Path(workspace).name,
        "year": int(year),
        "metadata": _metadata_summary(ws.metadata),
        "exact_values": {r.id: _exact(r.value) for r in results},
        "report": report,
    }


def _metadata_summary(meta: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "county_id", "adcode", "is_demonstration", "copy_of", "copy_label")
    return {k: meta.get(k) for k in keys if k in meta}


def _exact(value: float | None) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return repr(float(value))


# What a county task imports: geopandas, pyogrio, rasterio, shapely, pandas, scipy and the
# indicators.  ~0.8 s on an idle core, several seconds on a loaded one; a fresh worker pays it
# once, in :func:`warm_worker` when the pool or cluster runs it, else in its first county.
HEAVY_MODULES = (
    "numpy",
    "pandas",
    "shapely",
    "pyproj",
    "geopandas",
    "pyogrio",
    "rasterio",
    "scipy.sparse.csgraph",
    "scipy.spatial",
    "gis.io",
    "gis.indicators",
    "gis.report",
    "gis.settings",
)
_WARMUP: dict[str, float] = {}  # this process's warm-up seconds, until its first county takes it


def import_heavy_modules() -> float:
    """Import :data:`HEAVY_MODULES`; seconds taken (about 0 when they are already imported)."""
    import importlib

    start = time.perf_counter()
    for name in HEAVY_MODULES:
        importlib.import_module(name)
    return time.perf_counter() - start


def warm_worker() -> float:
    """Prepare a worker process before its first county; seconds taken.

    Imports :data:`HEAVY_MODULES` and opens the PROJ database (a first CRS and transformer take
    ~0.1 s).  Nothing a county computes is cached, so results are the same warm or cold.  The
    process pool runs it as its initializer and a Dask cluster through
    :class:`WarmWorkerPlugin`; the seconds are reported by the worker's first county
    (:attr:`CountyOutcome.warmup_s`).  Idempotent: a second call takes microseconds.
    """
    start = time.perf_counter()
    import_heavy_modules()
    from pyproj import CRS, Transformer

    Transformer.from_crs(CRS.from_epsg(4326), CRS.from_epsg(4547), always_xy=True)
    seconds = time.perf_counter() - start
    _WARMUP.setdefault("seconds", seconds)
    return seconds


def _take_warmup_s() -> float:
    """The warm-up seconds of this process the first time (then 0, so sums stay right)."""
    return _WARMUP.pop("seconds", 0.0)


def _thread_cpu_s() -> float:
    """User + system CPU seconds of the calling thread (of the process where not supported)."""
    who = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_county(task: CountyTask) -> CountyOutcome:
    """Compute and write one county's result; never raises (failures become outcomes).

    Only the small :class:`CountyOutcome` goes back to the caller: the result document is
    written here, by the worker.
    """
    started_at, start, cpu_start = time.time(), time.perf_counter(), _thread_cpu_s()
    warmup_s = _take_warmup_s()
    worker = f"pid {os.getpid()}"
    phases = dict.fromkeys(("import_s", "read_s", "compute_s", "write_s"), 0.0)
    try:
        phases["import_s"] = import_heavy_modules()
        mark = time.perf_counter()
        ws = _read_county(task.workspace, task.database_url)
        phases["read_s"], mark = time.perf_counter() - mark, time.perf_counter()
        doc = _document(ws, task.workspace, task.year)
        doc["county_id"] = task.county_id
        phases["compute_s"], mark = time.perf_counter() - mark, time.perf_counter()
        path = result_path(task.results_dir, task.year, task.county_id)
        _write_json_atomic(path, doc)
        error_path(task.results_dir, task.year, task.county_id).unlink(missing_ok=True)
        phases["write_s"] = time.perf_counter() - mark
        status: Status = "computed"
        error = ""
    except Exception as exc:  # noqa: BLE001 - any failure of one county is reported, not raised
        path = error_path(task.results_dir, task.year, task.county_id)
        status, error = "failed", _one_line(exc)
        _write_json_atomic(
            path,
            {
                "county_id": task.county_id,
                "year": task.year,
                "workspace": task.workspace,
                "error": error,
                "traceback": traceback.format_exc(),
            },
        )
    return CountyOutcome(
        county_id=task.county_id,
        year=task.year,
        status=status,
        result_path=str(path),
        error=error,
        seconds=time.perf_counter() - start,
        peak_rss_mb=_peak_rss_mb(),
        worker=worker,
        cpu_s=_thread_cpu_s() - cpu_start,
        warmup_s=warmup_s,
        started_at=started_at,
        **phases,
    )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, GisError) else f"{type(exc).__name__}: {text}"


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 1024.0 / 1024.0


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def plan_tasks(
    workspaces: dict[str, Path],
    county_ids: Sequence[str],
    *,
    year: int,
    results_dir: str | Path,
    database_url: str = "",
) -> list[CountyTask]:
    """One task per selected county (absolute paths, so any worker can find them).

    With ``database_url`` the workspaces are read from the PostGIS store by county id.
    """
    results = str(Path(results_dir).resolve())
    if database_url:
        return [CountyTask(cid, cid, int(year), results, database_url) for cid in county_ids]
    return [
        CountyTask(cid, str(Path(workspaces[cid]).resolve()), int(year), results)
        for cid in county_ids
    ]


def workspace_bytes(task: CountyTask) -> int:
    """Size on disk of the task's workspace files (0 for a PostGIS county or a missing folder).

    The proxy for a county's cost: its layers and population raster grow with its area and
    detail, as does the time to compute its indicators.
    """
    if task.database_url:
        return 0
    folder = Path(task.workspace)
    try:
        return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    except OSError:
        return 0


def largest_first(tasks: Sequence[CountyTask]) -> list[CountyTask]:
    """``tasks`` ordered by :func:`workspace_bytes`, largest first (ties keep their order).

    Workers take the next task when they finish one, so starting with the biggest counties
    leaves small ones for the end, where they fill the gaps instead of one big county running
    alone while the other workers idle (longest-processing-time-first scheduling).  The
    results do not depend on the order.
    """
    sizes = {t.county_id: workspace_bytes(t) for t in tasks}
    return sorted(tasks, key=lambda t: -sizes[t.county_id])


def discover_database(database_url: str) -> dict[str, Path]:
    """County ids of the PostGIS store (values are the ids, for :func:`plan_tasks`)."""
    from gis.store.postgis import PostgisStore

    return {cid: Path(cid) for cid in PostgisStore(database_url).county_ids()}


def run_batch(
    tasks: Sequence[CountyTask],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    force: bool = False,
    progress: bool = True,
    connect_timeout_s: float = 15.0,
) -> BatchSummary:
    """Run ``tasks``; finished counties are skipped unless ``force``.

    Parameters
    ----------
    tasks : sequence of CountyTask
        From :func:`plan_tasks`; all the same year and results folder.
    workers : int
        1 = sequential in this process; more = that many local processes.
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a Dask distributed scheduler; overrides ``workers``.
    client : distributed.Client, optional
        An already connected Dask client (e.g. on a ``LocalCluster``).
    force : bool
        Recompute counties that already have a result.
    progress : bool
        Show a tqdm progress bar on stderr.
    connect_timeout_s : float
        How long to try reaching the Dask scheduler.
    """
    if workers < 1:
        msg = f"--workers {workers}: expected 1 or more"
        raise GisError(msg)
    year = tasks[0].year if tasks else 0
    results_dir = tasks[0].results_dir if tasks else ""
    skipped = [
        CountyOutcome(
            t.county_id, t.year, "skipped", str(result_path(t.results_dir, t.year, t.county_id))
        )
        for t in tasks
        if not force and is_finished(t.results_dir, t.year, t.county_id)
    ]
    done = {o.county_id for o in skipped}
    todo = largest_first([t for t in tasks if t.county_id not in done])
    start = time.perf_counter()
    bar = _progress_bar(len(tasks), initial=len(skipped), enabled=progress)
    try:
        if client is not None or scheduler:
            mode, n = "dask", 0
            outcomes = _run_dask(todo, scheduler, client, bar.update_one, connect_timeout_s)
        elif workers == 1:
            mode, n = "sequential", 1
            outcomes = [bar.update_one(run_county(t)) for t in todo]
        else:
            mode, n = "processes", workers
            outcomes = _run_processes(todo, workers, bar.update_one)
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    every = sorted([*skipped, *outcomes], key=lambda o: o.county_id)
    return BatchSummary(every, mode, n, elapsed, year, results_dir)


class _Bar:
    """A tqdm bar that counts failures in its postfix."""

    def __init__(self, total: int, initial: int, *, enabled: bool) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=total, initial=initial, unit="county", desc="counties", disable=not enabled
        )
        self._failed = 0

    def update_one(self, outcome: CountyOutcome) -> CountyOutcome:
        if outcome.status == "failed":
            self._failed += 1
            self._bar.set_postfix(failed=self._failed, refresh=False)
        self._bar.update(1)
        return outcome

    def close(self) -> None:
        self._bar.close()


def _progress_bar(total: int, *, initial: int, enabled: bool) -> _Bar:
    return _Bar(total, initial, enabled=enabled)


def _run_processes(
    tasks: Sequence[CountyTask], workers: int, on_done: Callable[[CountyOutcome], CountyOutcome]
) -> list[CountyOutcome]:
    if not tasks:
        return []
    outcomes = []
    ctx = get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)), mp_context=ctx, initializer=warm_worker
    ) as pool:
        futures = {pool.submit(run_county, t): t for t in tasks}
        for fut in as_completed(futures):
            outcomes.append(on_done(_outcome_of(fut, futures[fut])))
    return outcomes


def _outcome_of(future: Any, task: CountyTask) -> CountyOutcome:
    """The future's outcome, or a failed outcome when the worker itself died."""
    try:
        outcome: CountyOutcome = future.result()
    except Exception as exc:  # noqa: BLE001 - a lost worker fails its county, not the batch
        return CountyOutcome(task.county_id, task.year, "failed", error=f"worker lost: {exc!r}")
    return outcome


def _run_dask(
    tasks: Sequence[CountyTask],
    scheduler: str | None,
    client: Any,
    on_done: Callable[[CountyOutcome], CountyOutcome],
    timeout_s: float,
) -> list[CountyOutcome]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    from gis.batch_dask import WarmWorkerPlugin

    own = client is None
    if own:
        try:
            client = Client(  # type: ignore[no-untyped-call]
                scheduler, timeout=f"{timeout_s}s", set_as_default=False
            )
        except (OSError, TimeoutError) as exc:
            msg = (
                f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc}); start one "
                "with `dask scheduler` and workers with `dask worker tcp://HOST:PORT`, "
                "or leave out --scheduler to use local processes"
            )
            raise GisError(msg) from exc
    try:
        if not tasks:
            return []
        client.register_plugin(WarmWorkerPlugin(), name=WarmWorkerPlugin.name)
        keys = [f"county-{t.year}-{t.county_id}" for t in tasks]
        futures = client.map(run_county, list(tasks), key=keys, pure=False)
        by_key = dict(zip(keys, tasks, strict=True))
        return [
            on_done(_outcome_of(f, by_key[f.key]))
            for f in dask_completed(futures, loop=client.loop)  # type: ignore[no-untyped-call]
        ]
    finally:
        if own:
            client.close()


def read_results(
    results_dir: str | Path, year: int | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Every result document under ``results_dir``, by year (only ``year`` when given).

    Unreadable files are skipped: the batch rewrites them on the next run.
    """
    root = Path(results_dir)
    out: dict[int, list[dict[str, Any]]] = {}
    if not root.is_dir():
        return out
    for year_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit()):
        y = int(year_dir.name)
        if year is not None and y != year:
            continue
        docs = []
        for path in sorted(year_dir.glob("*.json")):
            if path.name.endswith(".error.json"):
                continue
            try:
                with path.open(encoding="utf-8") as f:
                    doc = json.load(f)
            except (OSError, ValueError):
                continue
            if doc.get("schema") == RESULT_SCHEMA:
                docs.append(doc)
        if docs:
            out[y] = docs
    return out


def read_failures(results_dir: str | Path, year: int) -> list[dict[str, Any]]:
    """The failure reports of ``year`` (county id and one-line error), sorted by county."""
    folder = Path(results_dir) / str(int(year))
    failures = []
    for path in sorted(folder.glob("*.error.json")) if folder.is_dir() else []:
        try:
            with path.open(encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError):
            continue
        failures.append({"county_id": doc.get("county_id"), "error": doc.get("error")})
    return failures


def copy_workspace(
    src: str | Path, dest_root: str | Path, *, county_id: str, adcode: str | None, purpose: str
) -> Path:
    """Copy a workspace under another county id, labelled as a copy in its metadata.

    Used for tests and benchmarks, which need several county workspaces while only one real
    extract is embedded.  The copy's metadata says what it is (``copy_of``, ``copy_label``,
    ``is_copy``) and every page shows the label, so it is never taken for the county whose
    code it borrows.

    Parameters
    ----------
    src : path
        The workspace to copy.
    dest_root : path
        Folder that receives ``<county_id>/``.
    county_id, adcode : str
        The copy's id (folder name) and the Henan adcode it is shown under (or ``None``).
    purpose : str
        ``"benchmark"`` or ``"test"``: written into the label.
    """
    import shutil

    src = Path(src)
    dest = Path(dest_root) / county_id
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest)
    meta_path = dest / METADATA_NAME
    with meta_path.open(encoding="utf-8") as f:
        meta = json.load(f)
    original = str(meta.get("name", src.name))
    purpose_zh = "基准测试" if purpose == "benchmark" else "测试"
    meta.update(
        {
            "county_id": county_id,
            "adcode": adcode,
            "is_copy": True,
            "copy_of": meta.get("county_id") or src.name,
            "copy_purpose": purpose,
            "copy_label": (
                f"{purpose} copy of {original} under code {adcode or county_id}: not that "
                f"county's data / {purpose_zh}副本，非该县数据"
            ),
            "name": f"{original} [{purpose} copy {county_id}]",
        }
    )
    _write_json_atomic(meta_path, meta)
    return dest
