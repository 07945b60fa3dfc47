"""月结: closing a month (its versions, who closed or reopened it and why, when it is due — `store`), the
facts frozen with it stored and read back losslessly (`codec`), and the refusal of entries dated in a
closed month (`guard`), which every service that writes dated facts calls.

What a closed month's facts are and how they are collected lives with the monthly workbook
(crm.reporting.monthly.snapshot); this package only keeps and reads them.
"""
