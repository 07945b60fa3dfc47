"""提醒: the reminders the scheduler produces about visits due, problem deadlines and escalations,
the monthly report and the holiday calendar (scheduled). They read the visit and problem domains and
hand each reminder to crm.services.notifications, which delivers it exactly once.
"""
