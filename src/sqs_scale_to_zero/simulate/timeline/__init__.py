"""A run minute by minute, as files: ``simulate ... --timeline FILE``.

* :mod:`.record`: the :class:`~.record.Timeline` a run records (one row per minute, read from
  the minute's snapshot, and one record per message).
* :mod:`.files`: the CSV files and the file names.
* :mod:`.picture`: the picture (matplotlib, the ``plot`` extra).
"""
