"""问题: the problem hand-off and closure. `flow` declares every workflow action once and applies it
(the only way a problem changes state); `steps` holds what each step does; `intake` raises a
problem; `rules`, `deadlines` and `escalation` hold the working-day limits, 三色 and 四级协调;
`notices` says who hears about a step; `queries` and `desks` are the read side.
"""
