"""Hide the MySQL drivers from every Python process started with this folder on PYTHONPATH.

Python imports ``sitecustomize`` at start-up, so the hiding reaches pytest and each
``manage.py`` command its tests start. ``.ci/run`` runs the SQLite pass this way, and
``tests/test_quickstart.py`` the quick start's commands: a SQLite run needs no MySQL driver.
"""

import sys

for _driver in ("MySQLdb", "pymysql"):
    sys.modules[_driver] = None  # `import MySQLdb` now raises ModuleNotFoundError
