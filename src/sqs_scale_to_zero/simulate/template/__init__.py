"""Reading a synthesized CloudFormation template into the service model the simulator runs.

* :mod:`.resources`: the template's resources, intrinsic functions resolved (:mod:`.intrinsics`).
* :mod:`.reader`: :class:`~.reader.TemplateReader` and :func:`~.reader.load_service`, which
  follow one ECS service's references and build the service model.
* :mod:`.specs`: the service model's dataclasses, what each model runs.
* :mod:`.permissions`: what an IAM role of the template may do.

The readers of a model's own part live beside the model (:mod:`..models.backlog_signal.reader`,
:mod:`..models.deployment.reader`).
"""
