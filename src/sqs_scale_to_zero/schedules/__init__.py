"""The schedules part: periodic messages into the service's queue, the way Beanstalk did it.

``schedule`` owns the ``schedules`` prop's settings and checks, ``expressions`` checks a
schedule expression and time zone as EventBridge Scheduler would, ``cron_yaml`` reads a
Beanstalk ``cron.yaml``, and ``builder`` makes the EventBridge Scheduler schedules. All but
``builder`` are pure Python, so the command line can use them without aws_cdk.
"""
