import sys

from cyps_xl.cli import main

sys.exit(main())
