"""The ``snnet`` command: upstream train/test tools with snnet_mm imported, and our tools.

    snnet train mmseg|mmdet|mmpretrain CONFIG [tool args]
    snnet test  mmseg|mmdet|mmpretrain CONFIG CHECKPOINT [tool args]
    snnet flops|sweep|select|export|infer|demo|quickstart|convert|tiny-data [tool args]   (each with --help)

MMEngine resolves ``_base_`` before a config's ``custom_imports`` run, so a config inheriting
``snnet_mm::...`` needs snnet_mm imported before the upstream tool starts; like ``mim train``,
``snnet`` does that, then runs the installed package's own ``.mim/tools/<train|test>.py`` in
this process. Distributed: ``torchrun --nproc_per_node N -m snnet_mm train ... --launcher pytorch``.
"""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

UPSTREAM_COMMANDS = ('train', 'test')
UPSTREAM_PACKAGES = ('mmseg', 'mmdet', 'mmpretrain')
TOOLS = {  # command -> (script in snnet_mm/.mim/tools, what it does)
    'flops': ('stitch_flops', 'FLOPs/params table of every stitch'),
    'sweep': ('test_stitches', 'evaluate every stitch of a checkpoint: metrics, costs, Pareto front'),
    'select': ('select_stitch', 'best Pareto stitch of a sweep within a budget'),
    'export': ('export_stitch', 'one stitch as a plain model checkpoint'),
    'infer': ('infer', 'run one stitch on images'),
    'demo': ('demo', 'web page switching stitches by budget on your images (extra: [demo])'),
    'quickstart': ('quickstart', 'SN-Netv2 end to end on scikit-learn digits, on a CPU'),
    'convert': ('convert_official', 'official SN-Netv2 checkpoint -> this layout (+ config)'),
    'tiny-data': ('make_tiny_data', 'tiny datasets in upstream layouts for the tiny configs'),
}


def usage() -> str:
    lines = [__doc__.strip().split('\n\n')[0], '', 'commands:',
             f'  {"train, test":<12} upstream tools of {", ".join(UPSTREAM_PACKAGES)} with snnet_mm imported']
    lines += [f'  {name:<12} {what}' for name, (_, what) in TOOLS.items()]
    return '\n'.join(lines)


def upstream_tool(command: str, package: str) -> Path:
    """``<package>/.mim/tools/<command>.py`` of an installed OpenMMLab package."""
    if package not in UPSTREAM_PACKAGES:
        raise SystemExit(f'snnet {command}: package must be one of {", ".join(UPSTREAM_PACKAGES)}, '
                         f'got {package!r}')
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise SystemExit(f'snnet {command}: {package} is not installed')
    path = Path(spec.origin).parent / '.mim' / 'tools' / f'{command}.py'
    if not path.is_file():
        raise SystemExit(f'snnet {command}: {package} ships no {path}')
    return path


def run_script(path: Path, prog: str, args: list[str]) -> None:
    """Run ``path`` as ``__main__`` with ``args``, as ``python path args`` would.

    Not ``runpy.run_path``: it puts the file name back into ``sys.argv[0]``, and the tools'
    usage lines should name the command (``snnet flops``), not the script.
    """
    sys.argv = [prog, *args]
    sys.path.insert(0, str(path.parent))
    module = types.ModuleType('__main__')
    module.__file__ = str(path)
    saved = sys.modules.get('__main__')
    sys.modules['__main__'] = module
    try:
        exec(compile(path.read_text(), str(path), 'exec'), module.__dict__)
    finally:
        if saved is not None:
            sys.modules['__main__'] = saved


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(usage())
        return
    command, args = argv[0], argv[1:]
    import snnet_mm  # noqa: F401  (registers the modules and snnet_mm:: configs)
    from snnet_mm.mim import tool_path
    if command in UPSTREAM_COMMANDS:
        if not args or args[0] in ('-h', '--help'):
            print(f'usage: snnet {command} {{{",".join(UPSTREAM_PACKAGES)}}} CONFIG [args of its tools/{command}.py]')
            return
        run_script(upstream_tool(command, args[0]), f'snnet {command} {args[0]}', args[1:])
    elif command in TOOLS:
        try:
            path = tool_path(TOOLS[command][0])
        except FileNotFoundError as error:
            raise SystemExit(f'snnet {command}: {error}') from None
        run_script(path, f'snnet {command}', args)
    else:
        raise SystemExit(f'snnet: unknown command {command!r}\n\n{usage()}')


if __name__ == '__main__':
    main()
