import sys

from mochic.cli import main

sys.exit(main())
