"""Small pieces every domain uses: the audit trail, optimistic locking, field validators, pinyin
initials, attachment storage and bounded spreadsheet reading (spreadsheets). Nothing here knows about
a particular domain's rules.
"""
