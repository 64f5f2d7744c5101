"""The topics part: the service's queue subscribed to SNS topics, the way Copilot did it.

``subscriptions`` owns the ``topics`` prop (settings, checks, builder); ``filter_policy``
checks an SNS filter policy without aws_cdk, so the ``from-copilot`` converter can use it too.
"""
