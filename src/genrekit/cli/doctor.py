"""``genrekit doctor``: check that librosa's compiled code runs here, and clear a broken numba cache."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check that librosa runs in this environment; --fix clears a broken numba cache",
        description="Run librosa's chroma and onset detection in a fresh Python process. If it crashes "
        "(a segmentation fault in any librosa call, with or without genrekit), numba's on-disk cache of "
        "librosa's compiled functions is broken: two processes compiled it at once (numba issue #10128), "
        "before genrekit serialised the first compilation. --fix deletes the cache files of librosa and "
        "genrekit (*.nbi, *.nbc) and checks again; the next run compiles them afresh (about half a minute).",
        epilog="examples:\n"
        "  genrekit doctor\n"
        "  genrekit doctor --fix",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--fix", action="store_true", help="delete numba's cache of librosa and genrekit, then check again")
    parser.set_defaults(func=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    from genrekit.features.numba_cache import cache_files, cache_root, check_librosa, clear_cache

    print(f"numba cache of librosa: {cache_root()} ({len(cache_files())} files of librosa and genrekit)")
    problem = check_librosa()
    print(f"librosa chroma + onsets in a fresh process: {problem or 'ok'}")
    if args.fix:
        removed = clear_cache()
        print(f"deleted {len(removed)} cache file{'' if len(removed) == 1 else 's'}; checking again (compiles afresh)")
        problem = check_librosa()
        print(f"librosa chroma + onsets in a fresh process: {problem or 'ok'}")
    elif problem:
        print("the numba cache looks broken: run 'genrekit doctor --fix' to delete it")
    return 1 if problem else 0
