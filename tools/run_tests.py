#!/usr/bin/env python
"""The project's whole test run (`make test`, and CI's `.ci/run`):

1. `nbdev_clean` and `nbdev_export` must leave no diff in tracked files (notebooks are the source of truth);
2. `nbdev_test` over every notebook (cells behind the `slow`, `gpu`, `weights` flags are skipped);
3. `pytest tests/`.

The last line printed is `N passed, N failed[, N skipped]`, counting sync checks, notebooks and pytest tests.
"""
import os, re, subprocess, sys, time, xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

def run(cmd, **kw):
    print(f"\n$ {' '.join(map(str, cmd))}", flush=True)
    t = time.time()
    r = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, **kw)
    print(r.stdout[-20000:], end=''); print(r.stderr[-20000:], end='', file=sys.stderr)
    print(f"[{time.time()-t:.0f} s, exit {r.returncode}]", flush=True)
    return r

def tracked_diff():
    return subprocess.run(['git', 'diff', '--name-only'], cwd=ROOT, text=True, capture_output=True).stdout.split()

def sync_checks():
    "Each of nbdev_clean and nbdev_export must leave the tracked files as they were."
    results = []
    for tool in ['nbdev_clean', 'nbdev_export']:
        before = {f: (ROOT/f).read_bytes() if (ROOT/f).exists() else None for f in tracked_diff()}
        run([BIN/tool])
        after = tracked_diff()
        changed = [f for f in after if f not in before or ((ROOT/f).read_bytes() if (ROOT/f).exists() else None) != before[f]]
        untracked = subprocess.run(['git', 'ls-files', '--others', '--exclude-standard', 'tangoflux_nb'], cwd=ROOT,
                                   text=True, capture_output=True).stdout.split()
        changed += [f for f in untracked if f.endswith('.py')]
        ok = not changed
        print(f"{'PASS' if ok else 'FAIL'}: {tool} leaves no diff" + ('' if ok else f" -- it changed: {', '.join(changed)}. "
              "Run `make export` and commit the notebooks/modules."))
        results.append(ok)
    return results

def notebook_tests():
    from nbdev.config import get_config
    from nbdev.doclinks import nbglob
    files = sorted(Path(f).name for f in nbglob(ROOT/get_config().nbs_path) if not Path(f).name.startswith('_'))
    # notebooks run two at a time; one BLAS/OpenMP thread each avoids oversubscribing the cores (tiny models
    # run many times slower with two threads per process on a busy 2-core machine)
    env = {**os.environ, 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '1')}
    r = run([BIN/'nbdev_test', '--timing', '--n_workers', str(min(os.cpu_count() or 1, 2))], env=env)
    failed = set()
    m = re.search(r"nbdev Tests Failed On The Following Notebooks:\n=+\n(.*)", r.stderr, re.S)
    if m: failed = {l.strip() for l in m.group(1).splitlines() if l.strip()}
    if r.returncode != 0 and not failed: failed = {'nbdev_test (crashed)'}
    for f in files: print(f"{'FAIL' if f in failed else 'PASS'}: nbs/{f}")
    return len(files) - len(failed & set(files)), len(failed)

def pytest_tests():
    xml = ROOT/'.pytest-report.xml'
    r = run([BIN/'pytest', 'tests', '-q', '-rs', f'--junitxml={xml}'])
    if r.returncode == 5: return 0, 0, 0           # no tests collected
    if not xml.exists(): return 0, 1, 0
    suite = ET.parse(xml).getroot()
    suite = suite if suite.tag == 'testsuite' else suite.find('testsuite')
    n, fail, err, skip = (int(suite.get(k, 0)) for k in ('tests', 'failures', 'errors', 'skipped'))
    xml.unlink()
    return n - fail - err - skip, fail + err, skip

if __name__ == '__main__':
    t0 = time.time()
    sync = sync_checks()
    nb_pass, nb_fail = notebook_tests()
    py_pass, py_fail, py_skip = pytest_tests()
    passed = sum(sync) + nb_pass + py_pass
    failed = (len(sync) - sum(sync)) + nb_fail + py_fail
    print(f"\nsync checks: {sum(sync)}/{len(sync)}; notebooks: {nb_pass} passed, {nb_fail} failed; "
          f"pytest: {py_pass} passed, {py_fail} failed, {py_skip} skipped; {time.time()-t0:.0f} s in all")
    print(f"{passed} passed, {failed} failed" + (f", {py_skip} skipped" if py_skip else ''))
    sys.exit(1 if failed else 0)
