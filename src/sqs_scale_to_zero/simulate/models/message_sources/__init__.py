"""Messages that reach the queue from elsewhere: EventBridge Scheduler schedules and SNS topics.

:mod:`.reader` finds them in the template, :mod:`.schedule_times` says when a schedule runs,
:mod:`.filter_match` whether an SNS filter policy lets a message through, and :mod:`.delivery`
turns the workload's topic messages and the schedules' runs into sends to the queue.
"""
