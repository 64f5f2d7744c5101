"""Tests; the layout mirrors src/sqs_scale_to_zero."""
