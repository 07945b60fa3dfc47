"""惠企政策: the policy library (library: create, edit, publish; importer: from a spreadsheet), its
conditions as data and matching as a query (conditions, matching), the firm–policy pairs on the cadre's
round (delivery: the one transition function over crm.models.policy_workflow) and the figures the
reports, the dashboard and the KPI read (figures).
"""
