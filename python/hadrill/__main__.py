import sys

from hadrill.cli import main

sys.exit(main())
