import sys

from qattn_cirq.cli import main

sys.exit(main())
