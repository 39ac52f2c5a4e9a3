"""Import every module of the standard library, as Debian's packages give it; one line if all do.

Left out: Tk (tkinter, turtle, turtledemo, idlelib: they need a display, and a dev image has none),
what prints or opens a browser on import, CPython's own tests (Debian ships them apart), and
other platforms' modules."""

import importlib
import pkgutil
import sys
import sysconfig
import warnings

LEFT_OUT = {"tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "this", "antigravity", "__phello__", "test"}
OTHER_PLATFORMS = {
    "msvcrt", "winreg", "winsound", "_winapi", "_wmi", "nt", "_overlapped", "_msi", "msilib", "_winreg",
    "_scproxy", "_ios_support", "_android_support", "_apple_support",
}  # fmt: skip

names = getattr(sys, "stdlib_module_names", None)
if names is None:  # before 3.10: what the stdlib folders and the interpreter hold
    folders = [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"] + "/lib-dynload"]
    names = {module.name for module in pkgutil.iter_modules(folders)} | set(sys.builtin_module_names)
failed = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # deprecated modules still import
    for name in sorted(set(names) - LEFT_OUT - OTHER_PLATFORMS):
        if name.startswith("_test") or name.endswith("_test") or name.startswith("xxlimited"):
            continue
        try:
            importlib.import_module(name)
        except Exception as error:  # each failure is reported
            failed.append(f"{name}: {type(error).__name__}: {error}")
for submodule in ("dbm.gnu", "dbm.ndbm", "curses.panel", "sqlite3", "ctypes.util", "lzma", "bz2", "readline"):
    try:
        importlib.import_module(submodule)
    except Exception as error:  # each failure is reported
        failed.append(f"{submodule}: {type(error).__name__}: {error}")
print("\n".join(failed) or "the standard library imports whole (but Tk)")
sys.exit(1 if failed else 0)
