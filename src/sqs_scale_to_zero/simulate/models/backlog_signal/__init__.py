"""The backlog signal: a scheduled function that reads the queue and may wake the service.

It publishes what it reads, and may raise the service's desired count from zero itself.

* :mod:`.reader`: finds such functions in the template (their rule, environment and role).
* :mod:`.poller`: runs them in virtual time and publishes their datapoints.
* :mod:`.wake`: the fast wake, raising the service's desired count from 0.
"""
