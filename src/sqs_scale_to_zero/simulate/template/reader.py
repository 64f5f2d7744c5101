"""Read a synthesized CloudFormation template into the simulator's model of one ECS service.

Only template JSON is read: no aws_cdk, no constructs. Intrinsic functions are resolved first
(:mod:`.intrinsics`, :mod:`.resources`); the reader then follows the references from each ECS
service to its parts, each read beside the model that runs it: the task definition
(:mod:`..models.tasks`), the scalable target and its policies (:mod:`..models.scaling.reader`),
the alarms that invoke them (:mod:`..models.alarm_evaluation`), the queue
(:mod:`..models.queue`), the scheduled functions that read it
(:mod:`..models.wake_function.reader`), the deployment settings
(:mod:`..models.deploy_drain.reader`) and the schedules and topics that send to the queue
(:mod:`..models.message_sources.reader`). It assembles the :mod:`.specs` dataclasses into one
:class:`~sqs_scale_to_zero.simulate.template.specs.ServiceModel`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqs_scale_to_zero.simulate.errors import SimulationInputError
from sqs_scale_to_zero.simulate.models.alarm_evaluation import read_alarm
from sqs_scale_to_zero.simulate.models.deploy_drain.reader import read_deployment
from sqs_scale_to_zero.simulate.models.instances.reader import read_instance_capacity
from sqs_scale_to_zero.simulate.models.message_sources.reader import read_sources
from sqs_scale_to_zero.simulate.models.queue import read_queues, read_service_queue
from sqs_scale_to_zero.simulate.models.scaling.reader import (
    policy_targets,
    read_scalable_target,
    read_step_policy,
    read_target_tracking,
)
from sqs_scale_to_zero.simulate.models.tasks import read_task
from sqs_scale_to_zero.simulate.models.wake_function.reader import read_pollers
from sqs_scale_to_zero.simulate.template.intrinsics import referenced_ids
from sqs_scale_to_zero.simulate.template.resources import Template, number
from sqs_scale_to_zero.simulate.template.specs import (
    ServiceModel,
    StepPolicySpec,
    TargetTrackingSpec,
)

CONTAINER_INSIGHTS_ON = ("enabled", "enhanced")
"""``containerInsights`` values of ``AWS::ECS::Cluster`` ``ClusterSettings`` that turn it on."""


class TemplateReader(Template):
    """Reads one template and builds :class:`ServiceModel` objects from it.

    Args:
        template: The parsed template.
        name: A name for messages and reports (usually the file path).

    Raises:
        SimulationInputError: If the template has no ``Resources``.
    """

    def service(self, logical_id: str | None = None) -> ServiceModel:
        """Build the model of one ECS service.

        Args:
            logical_id: The service's logical ID. Default: the only service in the template.

        Raises:
            SimulationInputError: No service, several services and none chosen, or a link the
                simulator needs (task definition, queue) cannot be found.
        """
        services = self.service_ids()
        if not services:
            raise SimulationInputError(f"{self.name}: no AWS::ECS::Service in the template")
        if logical_id is None:
            if len(services) > 1:
                raise SimulationInputError(
                    f"{self.name}: {len(services)} ECS services ({', '.join(services)}); "
                    "choose one with --service LOGICAL_ID"
                )
            logical_id = services[0]
        elif logical_id not in services:
            raise SimulationInputError(
                f"{self.name}: no ECS service {logical_id!r} (found {', '.join(services)})"
            )
        props = self.of_type("AWS::ECS::Service")[logical_id]
        task = read_task(self, logical_id, props)
        target_id, target = read_scalable_target(self, logical_id)
        step_policies: dict[str, StepPolicySpec] = {}
        tracking: list[TargetTrackingSpec] = []
        for pid, pprops in self.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").items():
            if target_id is None or not policy_targets(pprops, target_id, target):
                continue
            if pprops.get("PolicyType") == "TargetTrackingScaling":
                tracking.append(read_target_tracking(self, pid, pprops))
            else:
                step_policies[pid] = read_step_policy(pid, pprops)
        alarms = [
            a
            for aid, aprops in self.of_type("AWS::CloudWatch::Alarm").items()
            if (a := read_alarm(self, aid, aprops, set(step_policies))) is not None
        ]
        queue = read_service_queue(self, logical_id, task, alarms)
        queues = read_queues(self)
        dlq = queues.get(queue.dlq_logical_id) if queue.dlq_logical_id else None
        desired = int(number(props.get("DesiredCount"), 1))
        strategy = props.get("CapacityProviderStrategy") or []
        spot = bool(strategy) and all(s.get("CapacityProvider") == "FARGATE_SPOT" for s in strategy)
        return ServiceModel(
            template=self.name,
            logical_id=logical_id,
            desired_count=desired,
            min_capacity=int(number(target.get("MinCapacity"), 0)) if target is not None else None,
            max_capacity=int(number(target.get("MaxCapacity"), desired))
            if target is not None
            else None,
            task=task,
            queue=queue,
            dlq=dlq,
            alarms=tuple(alarms),
            step_policies=step_policies,
            target_tracking=tuple(tracking),
            spot=spot,
            pollers=read_pollers(self, queue.logical_id, logical_id),
            container_insights=self._container_insights(props),
            deployment=read_deployment(self, logical_id, props, task),
            sources=read_sources(self, queue.logical_id),
            instances=read_instance_capacity(self, props),
        )

    def _container_insights(self, service_props: dict[str, Any]) -> bool:
        """Whether the service's cluster is in the template with Container Insights on.

        A cluster outside the template (or the default cluster) may have it on by the account
        setting, which a template does not show: its metrics are then taken as absent.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-ecs-cluster-clustersettings.html
        """
        clusters = self.of_type("AWS::ECS::Cluster")
        for cid in referenced_ids(service_props.get("Cluster")):
            for setting in clusters.get(cid, {}).get("ClusterSettings") or []:
                if setting.get("Name") == "containerInsights":
                    return str(setting.get("Value")) in CONTAINER_INSIGHTS_ON
        return False


def load_service(path: str | Path, service: str | None = None) -> ServiceModel:
    """Read ``path`` and return the model of its (only, or chosen) ECS service.

    Args:
        path: Template JSON file.
        service: Logical ID of the service. Default: the only one.

    Raises:
        SimulationInputError: On any problem reading or linking the template.
    """
    return TemplateReader.from_path(path).service(service)
