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
        return [_parse_value(t.strip(), elem) for t in text.split(",") if t.strip()]
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        return float(text)
    return text


def _experiment_flags(parser, name):
    from .experiments import REGISTRY
    exp = REGISTRY[name]
    keys = {}
    for preset in exp.presets.values():
        keys.update(preset)
    for key, like in sorted(keys.items()):
        flag = "--" + key.replace("_", "-")
        kind = "comma-separated list" if isinstance(like, list) else type(like).__name__
        parser.add_argument(flag, dest=f"set_{key}", metavar="V", default=None,
                            help=f"{kind} (quick preset: {exp.presets.get('quick', {}).get(key)})")
    return keys


def main(argv=None) -> int:
    """Every bad value is a one-line error with exit status 2 (FASTNTK_DEBUG=1 shows the
    traceback); Ctrl-C exits with 130 after saving what finished."""
    import os
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("fastntk: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, MemoryError) as e:
        if os.environ.get("FASTNTK_DEBUG"):
            raise
        print(f"fastntk: {e}", file=sys.stderr)
        return 2


def _main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from .experiments import REGISTRY, ExperimentError, report, run
    from .datasets import DatasetError

    top = argparse.ArgumentParser(prog="fastntk", description="Reproduce the papers' experiments.")
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="show the experiments")
    sub.add_parser("config", help="show the BLAS, threads and OpenMP in use")
    rep = sub.add_parser("report", help="redraw plots and summary.md from a run directory")
    rep.add_argument("dir")
    data = sub.add_parser("data", help="download the papers' datasets into the cache")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    fetchp = data_sub.add_parser("fetch", help="fetch MNIST or Fashion-MNIST (the four standard files, "
                                 "SHA-256 checked) for --data mnist / --data fashion")
    fetchp.add_argument("name", choices=["mnist", "fashion-mnist"])
    fetchp.add_argument("--dir", default=None, help="cache folder (default $FASTNTK_DATA, else ~/.cache/fastntk)")
    fetchp.add_argument("--mirror", default=None, help="a base URL holding the files under their standard names")
    runp = sub.add_parser("run", help="run (or resume) an experiment", add_help=False)
    runp.add_argument("name", nargs="?")

    # `run NAME --help` lists that experiment's knobs, so parse the name first.
    if len(argv) >= 2 and argv[0] == "run" and not argv[1].startswith("-"):
        name = argv[1]
        if name not in REGISTRY:
            print(f"fastntk: unknown experiment {name!r}; `fastntk list` shows {sorted(REGISTRY)}", file=sys.stderr)
            return 2
        p = argparse.ArgumentParser(prog=f"fastntk run {name}", description=REGISTRY[name].title)
        p.add_argument("--preset", default="quick", help="quick (default, minutes on 2 cores) or paper")
        p.add_argument("--out", default=None, help="output directory (default runs/NAME-PRESET)")
        p.add_argument("--threads", type=int, default=None, help="BLAS and OpenMP threads")
        p.add_argument("--no-progress", action="store_true")
        p.add_argument("--jobs", type=int, default=1,
                       help="training runs at once, in worker processes of one thread each (default 1)")
        keys = _experiment_flags(p, name)
        args = p.parse_args(argv[2:])
        try:
            overrides = {}
            for key, like in keys.items():
                text = getattr(args, f"set_{key}")
                if text is not None:
                    try:
                        overrides[key] = _parse_value(text, like)
                    except ValueError as e:
                        raise ExperimentError(f"--{key.replace('_', '-')}: {e}") from None
            if args.threads is not None:
                if args.threads < 1:
                    raise ExperimentError(f"--threads: expected an integer >= 1, got {args.threads}")
                from . import set_num_threads
                set_num_threads(args.threads)
            if args.jobs < 1:
                raise ExperimentError(f"--jobs: expected an integer >= 1, got {args.jobs}")
            result = run(name, args.preset, args.out, overrides, progress=not args.no_progress, workers=args.jobs)
        except (ExperimentError, DatasetError) as e:
            print(f"fastntk: {e}", file=sys.stderr)
            return 2
        print(result["summary"])
        print(f"\n{result['done']} of {result['total']} runs done; records, plots and summary.md in {result['out']}")
        if result["interrupted"]:
            print("interrupted: run the same command again to resume", file=sys.stderr)
            return 130
        return 0

    args = top.parse_args(argv)
    if args.command == "list":
        for name, exp in REGISTRY.items():
            print(f"{name:22s} {exp.title}  [{exp.paper}]")
        return 0
    if args.command == "config":
        from . import show_config
        show_config()
        return 0
    if args.command == "report":
        try:
            print(report(args.dir))
        except ExperimentError as e:
            print(f"fastntk: {e}", file=sys.stderr)
            return 2
        return 0
    if args.command == "data":
        from .fetch import fetch
        try:
            folder = fetch(args.name, args.dir, args.mirror)
        except DatasetError as e:
            print(f"fastntk: {e}", file=sys.stderr)
            return 1
        flag = "mnist" if args.name == "mnist" else "fashion"
        hint = f"--data {flag}" if args.dir is None else f"--data {flag}:{folder}"
        print(f"{args.name} is in {folder}; use it with {hint}")
        return 0
    if args.command == "run":
        print("fastntk run: name an experiment; `fastntk list` shows them", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
