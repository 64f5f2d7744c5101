"""The wake function: a scheduled function that reads the queue and may wake the service.

Each run reads the queue's counts, may publish them (the backlog signal, ``Wake.FRESH_SIGNAL``)
and may raise the service's desired count from zero itself (the fast wake). The simulator finds
any function of this shape in a template, the construct's or another's.

* :mod:`.reader`: finds such functions in the template (their rule, environment and role).
* :mod:`.runs`: runs them in virtual time and publishes their datapoints (the backlog signal).
* :mod:`.fast_wake`: the fast wake, raising the service's desired count from 0.
"""
