"""EC2 instances under an ECS service.

:mod:`.reader` reads the template's capacity provider into :mod:`.spec`, :mod:`.fleet` launches
instances, places tasks and scales in, and :mod:`.assumptions` holds the timings and prices.
"""
