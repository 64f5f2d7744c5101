"""Deployments: a new task definition rolled out by ECS, and the worker's deploy drain.

* :mod:`.reader`: the service's ``DeploymentConfiguration`` and the drain's settings.
* :mod:`.rollout`: the rolling update and the drain in virtual time.
"""
