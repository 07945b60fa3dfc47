"""Small pieces every domain uses: the audit trail, optimistic locking, field validators, pinyin of
names and finding firms by name (firm_search), attachment storage and bounded spreadsheet reading
(spreadsheets). Nothing here knows about a particular domain's rules.
"""
