"""问题: the problem hand-off and closure. Every action is declared once in
crm.models.problem_workflow (who, from which states, to which, its events, its form, its replay);
`flow.apply_action` checks a step against that declaration and is the only way a problem changes
state, and `steps` holds what each step does. `intake` raises a problem; `rules`, `deadlines` and
`escalation` hold the working-day limits, 三色 and 四级协调; `notices` says who hears about a step and
`settle` which deadline reminders a step answered;
`queries` and `desks` are the read side.
"""
