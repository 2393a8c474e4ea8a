"""``python -m snnet_mm``: the ``snnet`` command (also under torchrun)."""
from .cli import main

main()
