import sys

from genrekit.cli import main

sys.exit(main())
