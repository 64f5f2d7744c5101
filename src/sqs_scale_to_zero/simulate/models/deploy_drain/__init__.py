"""The deploy drain, modelled: ECS rolls out a new task definition and outdated tasks drain.

* :mod:`.reader`: the service's ``DeploymentConfiguration`` and the drain's settings.
* :mod:`.rollout`: the rolling update and the drain in virtual time.
"""
