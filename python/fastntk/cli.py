"""The command line: ``fastntk list | run NAME | report DIR | config | data fetch NAME``."""
from __future__ import annotations

import argparse
import sys


def _parse_value(text: str, like):
    """A flag's value in the type of the preset's default (lists comma-separated)."""
    if isinstance(like, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected true/false, got {text!r}")
    if isinstance(like, list):
        elem = like[0] if like else text
        if not text.strip():
            return []  # "at least one value" is the settings' check to make
        items = [t.strip() for t in text.split(",")]
        if not all(items):
            raise ValueError(f"expected a comma-separated list without empty items, got {text!r}")
        return [_parse_value(t, elem) for t in items]
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        return float(text)
    return text


# A list knob's help shows at most this many of a preset's values, then "…".
HELP_ITEMS = 6


def _knob_value(value) -> str:
    """A preset's value as its help shows it: lists comma-separated without brackets, cut
    to the first HELP_ITEMS items."""
    if isinstance(value, list):
        head = ", ".join(_knob_value(v) for v in value[:HELP_ITEMS])
        return head + (", …" if len(value) > HELP_ITEMS else "")
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _experiment_flags(parser, name):
    from .experiments import REGISTRY
    from .experiments._base import KNOBS
    exp = REGISTRY[name]
    keys = {}
    for preset in exp.presets.values():
        keys.update(preset)
    for key, like in sorted(keys.items()):
        flag = "--" + key.replace("_", "-")
        kind = "comma-separated list" if isinstance(like, list) else type(like).__name__
        values = "; ".join(f"{preset}: {_knob_value(cfg[key])}" for preset, cfg in exp.presets.items() if key in cfg)
        parser.add_argument(flag, dest=f"set_{key}", metavar="V", default=None,
                            help=f"{KNOBS[key]} ({kind}; default the preset's: {values})")
    return keys


# Exit statuses, as git and pip use them.
OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130


def main(argv=None) -> int:
    """Every error is one line on stderr (FASTNTK_DEBUG=1 shows the traceback) and an exit
    status: 2 for a command line wrong as written (an unknown name, an option's value out
    of range: argparse's and :class:`~fastntk._validate.UsageError`), 1 for a failure
    while running (a file that cannot be read or written, a damaged run folder, data
    that is not what it claims, memory), 130 after Ctrl-C (what finished is saved)."""
    import os
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("fastntk: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`fastntk claims | head`): stop quietly, as git and pip do; the
        # interpreter's final flush must not hit the closed pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except (ValueError, TypeError, OSError, MemoryError, OverflowError, ImportError, RuntimeError) as e:
        if os.environ.get("FASTNTK_DEBUG"):
            raise
        print(f"fastntk: {e or type(e).__name__}", file=sys.stderr)
        return _status(e)


def _status(error) -> int:
    from ._validate import UsageError
    return USAGE if isinstance(error, UsageError) else FAILED


# More workers or threads than this is a typo, not a machine: refused before anything starts.
MAX_WORKERS = 1024


def _main(argv=None) -> int:
    import os
    argv = list(sys.argv[1:] if argv is None else argv)
    from ._validate import UsageError

    top = _parser()

    # `run --help` (no name yet) names the experiments; `run NAME --help` lists that one's knobs, so
    # the name is parsed first.
    # The experiments (and matplotlib's first use) load where a command needs them: `fastntk --help`,
    # `claims`, `data` and `gram` start as fast as `import fastntk` (issue 31).
    if argv[:1] == ["run"] and (len(argv) == 1 or argv[1] in ("-h", "--help")):
        from .experiments import REGISTRY
        asked = len(argv) > 1  # --help: the usage is the answer (stdout); no name: an error (stderr)
        print("usage: fastntk run NAME [--preset quick|standard|paper] [--jobs N] [--out DIR] [options]\n\n"
              "Run (or resume) an experiment; `fastntk run NAME --help` lists its options.\n\nexperiments:\n"
              + "\n".join(f"  {n:24s}{e.title}" for n, e in sorted(REGISTRY.items()))
              + ("" if asked else "\nfastntk run: error: the experiment NAME is required"),
              file=sys.stdout if asked else sys.stderr)
        return OK if asked else USAGE
    if len(argv) >= 2 and argv[0] == "run" and not argv[1].startswith("-"):
        from .datasets import DatasetError
        from .experiments import REGISTRY, ExperimentError, run
        name = argv[1]
        if name not in REGISTRY:
            print(f"fastntk: unknown experiment {name!r}; `fastntk list` shows {sorted(REGISTRY)}", file=sys.stderr)
            return USAGE
        p, keys = _run_parser(name)
        args = p.parse_args(argv[2:])
        try:
            overrides = {}
            for key, like in keys.items():
                text = getattr(args, f"set_{key}")
                if text is not None:
                    try:
                        overrides[key] = _parse_value(text, like)
                    except ValueError as e:
                        raise UsageError(f"--{key.replace('_', '-')}: {e}") from None
            if args.threads is not None:
                if not 1 <= args.threads <= MAX_WORKERS:
                    raise UsageError(f"--threads: expected an integer in [1, {MAX_WORKERS}], got {args.threads}")
                from . import set_num_threads
                set_num_threads(args.threads)
            if not 1 <= args.jobs <= MAX_WORKERS:
                raise UsageError(f"--jobs: expected an integer in [1, {MAX_WORKERS}], got {args.jobs}")
            result = run(name, args.preset, args.out, overrides, progress=not args.no_progress, workers=args.jobs)
        except (ExperimentError, DatasetError, UsageError) as e:
            print(f"fastntk: {e}", file=sys.stderr)
            return _status(e)
        print(result["summary"])
        print(f"\n{result['done']} of {result['total']} runs done; records, plots and summary.md in {result['out']}")
        if result["interrupted"]:
            print("interrupted: run the same command again to resume", file=sys.stderr)
            return INTERRUPTED
        return OK

    args = top.parse_args(argv)
    if args.command == "list":
        from .claims import SHORT
        from .experiments import REGISTRY
        width = max(map(len, REGISTRY))
        for name, exp in REGISTRY.items():
            print(f"{name:{width}s}  {exp.title}  [{exp.paper}]")
        # The papers' keys, as the tables use them (full references: `fastntk claims`, the README).
        print("\npapers: " + "; ".join(f"{key} = {ref}" for key, ref in SHORT.items()))
        return 0
    if args.command == "config":
        from . import show_config
        show_config()
        return 0
    if args.command == "report":
        from .experiments import ExperimentError, check, report, verdict_table
        failed = False
        try:
            if args.html:
                from .experiments._html import html_report
                from .experiments._base import atomic_write
                atomic_write(args.html, html_report(args.dir))
                print(f"wrote {args.html}")
                return 0
            if args.table:
                base = os.path.commonpath([os.path.abspath(d) for d in args.dir]) if len(args.dir) > 1 else None
                link = os.path.relpath(base) if base else None
                print("\n".join(verdict_table(args.dir, link)))
                return 0
            for folder in args.dir:
                if not args.check:
                    print(report(folder))
                    continue
                problems = check(folder, preset=args.preset)
                failed = failed or bool(problems)
                print(f"{folder}: " + ("the verdict table stands" if not problems else
                                       f"{len(problems)} problem(s)\n  " + "\n  ".join(problems)))
        except ExperimentError as e:
            print(f"fastntk: {e}", file=sys.stderr)
            return _status(e)
        return FAILED if failed else OK
    if args.command == "data":
        from .datasets import DatasetError
        from .fetch import fetch
        try:
            folder = fetch(args.name, args.dir, args.mirror)
        except DatasetError as e:
            print(f"fastntk: {e}", file=sys.stderr)
            return _status(e)
        hint = f"--data {args.name}" if args.dir is None else f"--data {args.name}:{folder}"
        print(f"{args.name} is in {folder}; use it with {hint}")
        return 0
    if args.command == "gram":
        return _gram(args)
    if args.command == "claims":
        return _claims(args)
    if args.command == "run":
        print("fastntk run: name an experiment; `fastntk list` shows them", file=sys.stderr)
        return USAGE
    return USAGE


def _parser() -> argparse.ArgumentParser:
    """The command line's parser, every subcommand but `run NAME`'s options (:func:`_run_parser`)."""
    from ._version import __version__
    top = argparse.ArgumentParser(prog="fastntk", description="Reproduce the papers' experiments.")
    top.add_argument("--version", action="version", version=f"fastntk {__version__}")
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="show the experiments")
    sub.add_parser("config", help="show the BLAS, threads and OpenMP in use")
    rep = sub.add_parser("report", help="redraw plots and summary.md from a run directory")
    rep.add_argument("dir", nargs="+", help="one or more run directories")
    rep.add_argument("--check", action="store_true",
                     help="recompute each verdict table from records.jsonl and config.json alone and compare it "
                          "with summary.md (and the registered claim rules with the code's); exit 1 naming the "
                          "rows that differ; writes nothing (default: off, redraw instead)")
    rep.add_argument("--preset", action="store_true",
                     help="with --check, also require each run's settings to be its named preset's in the code now, "
                          "no option overridden (what committed results must be; CI checks docs/results/* so) "
                          "(default: off, settings not compared)")
    rep.add_argument("--html", metavar="FILE",
                     help="write one self-contained HTML page of all DIRs (verdict tables and figures, read from "
                          "each summary.md and its PNGs) to FILE; redraws nothing (default: none, no page)")
    rep.add_argument("--table", action="store_true",
                     help="print one Markdown table of the verdicts of all DIRs, with their counts (docs/results.md's); "
                          "writes nothing (default: off)")
    data = sub.add_parser("data", help="download the papers' datasets into the cache")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    fetchp = data_sub.add_parser("fetch", help="fetch MNIST or Fashion-MNIST (the four standard files, "
                                 "SHA-256 checked) for --data mnist / --data fashion")
    fetchp.add_argument("name", choices=["mnist", "fashion"], help="the dataset, by the name --data takes")
    fetchp.add_argument("--dir", default=None, help="cache folder (default $FASTNTK_DATA, else ~/.cache/fastntk)")
    fetchp.add_argument("--mirror", default=None,
                        help="a base URL holding the files under their standard names (default: none, the "
                             "datasets' public mirrors)")
    runp = sub.add_parser("run", help="run (or resume) an experiment; `fastntk run NAME --help` lists its options",
                          add_help=False)
    runp.add_argument("name", nargs="?", help="the experiment (`fastntk list`)")
    _gram_parser(sub)
    claims = sub.add_parser("claims", help="every claim of the five papers, how fastntk judges it, its latest verdict")
    claims.add_argument("--format", choices=["markdown", "json"], default="markdown",
                        help="markdown (default) or json")
    claims.add_argument("--results", default=None, help="the committed results folder (default docs/results)")
    return top


def _run_parser(name):
    """`fastntk run NAME`'s parser and its experiment's knobs ({key: a preset's value})."""
    from .experiments import REGISTRY
    p = argparse.ArgumentParser(prog=f"fastntk run {name}", description=REGISTRY[name].title)
    p.add_argument("--preset", default="quick",
                   help="quick (default, minutes on 2 cores), standard (the committed results' settings) or paper")
    p.add_argument("--out", default=None, help="output directory (default runs/NAME-PRESET)")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS and OpenMP threads (default: what the BLAS and OpenMP choose)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: shown)")
    p.add_argument("--jobs", type=int, default=1,
                   help="training runs at once, in worker processes of one thread each (default 1)")
    return p, _experiment_flags(p, name)


def _gram_parser(sub):
    g = sub.add_parser("gram", help="compute an NTK Gram into a zarr store, tile by tile on Dask (resumable)",
                       description="K(X, X) (or K(X, X2)) of an MLP into a zarr store, out of core; run the same "
                                   "command again after an interruption to finish it. Needs fastntk[distributed].")
    g.add_argument("input", help="X: a .npy file or a zarr array (N, d)")
    g.add_argument("store", help="the zarr store to write (a directory)")
    g.add_argument("--x2", default=None, help="X2 (.npy or zarr) for the cross-Gram K(X, X2) (default: none, K(X, X))")
    g.add_argument("--width", type=int, default=1024, help="hidden width m (default 1024)")
    g.add_argument("--depth", type=int, default=3, help="layers L (default 3)")
    g.add_argument("--outputs", type=int, default=1, help="outputs k (default 1; the Gram is their mean, neural-tangents' trace)")
    g.add_argument("--kernel", default="empirical", choices=["empirical", "ntk", "nngp"],
                   help="empirical (default): the empirical NTK of θ; ntk or nngp: the infinite-width kernels (float64; θ unused)")
    from .model import ACTIVATIONS, BIAS_MODES, PARAMETRIZATIONS
    g.add_argument("--sigma", type=float, default=1.0, help="σ, the weights' scale (default 1)")
    g.add_argument("--parametrization", default="ntk", choices=PARAMETRIZATIONS, help="default ntk")
    g.add_argument("--bias", default="zero", choices=BIAS_MODES, help="default zero")
    g.add_argument("--activation", default="relu", choices=ACTIVATIONS, help="default relu")
    g.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="default float32")
    g.add_argument("--seed", type=int, default=0, help="θ = MLP.init(seed) (default 0)")
    g.add_argument("--params", default=None, help="θ from a .npy file (P,) instead of --seed (default: none, --seed)")
    g.add_argument("--chunks", type=int, default=4096, help="rows per tile (default 4096)")
    g.add_argument("--workers", type=int, default=0,
                   help="worker processes of a local dask.distributed cluster, one thread each "
                        "(default 0: Dask's threads in this process)")
    g.add_argument("--scheduler", default=None, help="address of a running dask.distributed scheduler (default: none)")
    g.add_argument("--overwrite", action="store_true", help="replace a store that holds another Gram (default: off, refuse it)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar (default: shown)")


def _gram(args) -> int:
    import contextlib

    import numpy as np

    from . import MLP
    from ._validate import UsageError
    from .distributed import StoreWriteError, gram_to_zarr, open_rows
    for flag in ("width", "depth", "outputs", "chunks"):
        if getattr(args, flag) < 1:
            raise UsageError(f"--{flag}: expected an integer >= 1, got {getattr(args, flag)}")
    if not 0 <= args.workers <= MAX_WORKERS:
        raise UsageError(f"--workers: expected an integer in [0, {MAX_WORKERS}], got {args.workers}")
    if args.workers and args.scheduler:
        raise UsageError("--workers, --scheduler: give one (a new local cluster, or a running one)")
    X = open_rows(args.input, "input")
    if len(getattr(X, "shape", ())) != 2:
        raise ValueError(f"input: expected an (N, d) array, got shape {getattr(X, 'shape', None)}")
    net = MLP.uniform(X.shape[1], args.width, args.depth, outputs=args.outputs, sigma=args.sigma,
                      parametrization=args.parametrization, bias=args.bias, activation=args.activation,
                      dtype=np.dtype(args.dtype).type)
    if args.kernel != "empirical":
        params = None
    else:
        params = net.init(args.seed) if args.params is None else np.load(args.params)
    with contextlib.ExitStack() as stack:
        if args.workers or args.scheduler:
            try:
                from distributed import Client, LocalCluster
            except ImportError:
                raise ImportError("--workers/--scheduler need dask.distributed: pip install "
                                  "\"fastntk[distributed]\"") from None
            if args.scheduler:
                stack.enter_context(Client(args.scheduler))
            else:
                cluster = stack.enter_context(LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                                           processes=True, dashboard_address=None))
                stack.enter_context(Client(cluster))
        try:
            info = gram_to_zarr(net, params, X, args.store, X2=args.x2, chunks=args.chunks,
                                overwrite=args.overwrite, progress=not args.no_progress, kernel=args.kernel)
        except KeyboardInterrupt:
            print("fastntk gram: interrupted; the finished tiles are kept — run the same command again to "
                  "resume", file=sys.stderr)
            return INTERRUPTED
        except StoreWriteError as e:
            print(f"fastntk gram: {e}", file=sys.stderr)
            return FAILED
    dtype = net.dtype.__name__ if args.kernel == "empirical" else "float64"
    print(f"K {info.shape[0]} × {info.shape[1]} ({args.kernel}, {dtype}) in {info.path}: {info.computed} tiles "
          f"computed, {info.resumed} already there, {info.seconds:.1f} s")
    return 0


def _claims(args) -> int:
    import json
    import os

    from . import claims
    if args.results is not None:
        if not os.path.isdir(args.results):
            raise ValueError(f"--results: expected a folder of results (NAME/summary.md), {args.results!r} is not "
                             "a directory")
    if args.format == "json":
        print(json.dumps(claims.as_json(args.results), ensure_ascii=False, indent=2))
    else:
        print("\n".join(claims.markdown(args.results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
