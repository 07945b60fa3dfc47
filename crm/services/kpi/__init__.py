"""The official definition of every rate and average the product publishes (指标口径).

One `Kpi` per figure in `definitions.KPIS`: its Chinese label, what is counted on top (分子) and what
it is divided by (分母), the exclusions, and `value(part, whole)` — the only arithmetic that turns
two counts into the figure shown. The monthly workbook (its rate columns and the 指标说明 sheet),
the dashboards (cards, rankings, tooltips) and the 指标说明 page all read this module, so a figure
means the same thing and shows the same digits wherever it appears.

Counting the parts is the caller's job (the workbook from month-end states, the dashboards from live
rows); the consistency tests check that both count what the definition says.
"""

from crm.services.kpi.definitions import KPIS, Kpi, kpi

__all__ = ["KPIS", "Kpi", "kpi"]
