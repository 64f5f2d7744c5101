"""Reading a synthesized CloudFormation template into the service model the simulator runs.

* :mod:`.resources`: the template's resources, intrinsic functions resolved (:mod:`.intrinsics`).
* :mod:`.reader`: :class:`~.reader.TemplateReader` and :func:`~.reader.load_service`, which
  follow one ECS service's references and build the service model.
* :mod:`.specs`: the service model's dataclasses, what each model runs.
* :mod:`.permissions`: what an IAM role of the template may do.

Each model reads its own part of the template beside the code that runs it (``read_*`` in
:mod:`..models.tasks`, :mod:`..models.queue`, :mod:`..models.metrics`,
:mod:`..models.alarm_evaluation`, and the ``reader`` module of :mod:`..models.scaling`,
:mod:`..models.wake_function` and :mod:`..models.deploy_drain`).
"""
