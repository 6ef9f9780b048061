"""Scheduling internals: cron maths, the plan of due runs, the runner and APScheduler wiring.

``digest.schedule`` is the public face; the modules here are small and single-purpose:
``cron`` parses expressions, ``timing`` turns them into instants (daylight saving included),
``plan`` decides what a due time needs, ``due`` reads which due times still need one,
``runner`` carries decisions out against the database (``recording`` stores them,
``outcomes`` reads a send's result as one), ``trigger`` and ``service`` connect all of that
to APScheduler.
"""
