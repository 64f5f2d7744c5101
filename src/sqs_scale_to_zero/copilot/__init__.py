"""``sqs-scale-to-zero from-copilot``: an AWS Copilot worker service manifest as a CDK app.

``plan`` holds what the converter understood, ``fields`` reads the manifest's values,
``manifest`` walks a Worker Service manifest into a plan (refusing unknown fields, other
service types and bad values), and ``app_source`` writes the plan as ``app.py`` and
``cdk.json``. Pure Python: the command line never imports aws_cdk.
"""
