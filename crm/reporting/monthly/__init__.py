"""The monthly workbook (联企服务月报): the period (period), problem states replayed to a month's end
(state), the figures (problems, visits, summary), the writer (writer, xlsx), the builder (build)
and generating and storing it on demand or by the scheduler (generate).
"""
