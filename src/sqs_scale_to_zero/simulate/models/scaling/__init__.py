"""Application Auto Scaling: the service's scalable target and its scaling policies.

* :mod:`.reader`: the target and the policies as the template declares them.
* :mod:`.policies`: step and target-tracking policies in virtual time, and the target they set.
"""
